"""The local API: shapes, status codes, token, limits, OpenAPI document, bind refusal, real server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import warnings
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from starlette.exceptions import StarletteDeprecationWarning

from app.core.api.app import MAX_BODY, create_app
from app.core.api.openapi import render
from app.core.api.server import ApiServer, check_bind_address
from app.core.errors import ApiError, ConfigError
from app.core.sessions import ManualClock
from app.core.sessions.service import SessionEvent
from app.core.settings import Settings
from app.core.store.signing import verify_document
from app.devtools.synthetic_results import make_service, synthetic_result

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 for its test client; httpx works the same here.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture()
def service(tmp_path: Path, clock: ManualClock):
    svc = make_service(tmp_path, clock=clock, settings=Settings(lockout_failures=2), kiosk=False)
    yield svc
    svc.close()


@pytest.fixture()
def client(service):
    with TestClient(create_app(service, token=TOKEN), raise_server_exceptions=False) as test_client:
        yield test_client


def _create(client: TestClient, settings: dict | None = None) -> str:
    r = client.post("/v1/sessions", json={"Settings": settings or {}}, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()["SessionId"]


def _finish(service, sid: str, decision: str = "pass") -> None:
    service.complete(sid, synthetic_result(sid, decision=decision))


def test_full_flow_mirrors_the_reference_shapes(client: TestClient, service) -> None:
    started: list[str] = []
    service.subscribe(lambda e: started.append(e.session_id) if e.kind == "started" else None, kiosk=True)
    sid = _create(client, {"AuditImagesLimit": 2, "ChallengePreferences": [{"Type": "FaceMovementChallenge"}], "CustomerReference": "C-9"})
    r = client.get(f"/v1/sessions/{sid}/results", headers=AUTH)
    assert r.status_code == 200 and r.json()["Status"] == "CREATED"
    assert r.json()["Challenge"]["Type"] == "FaceMovementChallenge"
    r = client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
    assert r.status_code == 202 and r.json() == {"SessionId": sid, "Status": "IN_PROGRESS"}
    assert started == [sid]
    _finish(service, sid)
    r = client.get(f"/v1/sessions/{sid}/results", headers=AUTH)
    body = r.json()
    assert r.status_code == 200
    assert body["Status"] == "SUCCEEDED" and 0 <= body["Confidence"] <= 100 and body["Decision"] == "pass"
    assert set(body["ReferenceImage"]["BoundingBox"]) == {"Width", "Height", "Left", "Top"}
    assert len(body["AuditImages"]) == 2
    jpeg = base64.b64decode(body["ReferenceImage"]["Bytes"])
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) is not None
    assert hashlib.sha256(jpeg).hexdigest() == body["ReferenceImage"]["Sha256"]
    assert body["Checks"] and body["Challenge"]["Type"] == "FaceMovementAndLightChallenge"
    assert verify_document(body, {service.key_id: service.store.signer.public_key}).valid


def test_image_references_and_none(client: TestClient, service) -> None:
    service.subscribe(lambda e: None, kiosk=True)
    sid = _create(client)
    client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
    _finish(service, sid)
    body = client.get(f"/v1/sessions/{sid}/results?images=reference", headers=AUTH).json()
    url = body["AuditImages"][0]["Location"]["Url"]
    assert "Bytes" not in body["AuditImages"][0]
    r = client.get(url, headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(r.content).hexdigest() == body["AuditImages"][0]["Sha256"]
    body = client.get(f"/v1/sessions/{sid}/results?images=none", headers=AUTH).json()
    assert "Bytes" not in body["ReferenceImage"] and "Location" not in body["ReferenceImage"]
    assert client.get(f"/v1/sessions/{sid}/images/audit-9", headers=AUTH).status_code == 404


def test_list_and_delete(client: TestClient, service) -> None:
    a = _create(client, {"CustomerReference": "alice"})
    b = _create(client, {"CustomerReference": "bob"})
    r = client.get("/v1/sessions?customer_ref=bob", headers=AUTH)
    assert [s["SessionId"] for s in r.json()["Sessions"]] == [b]
    r = client.get("/v1/sessions?limit=1", headers=AUTH)
    assert len(r.json()["Sessions"]) == 1 and r.json()["NextOffset"] == 1
    r = client.get("/v1/sessions?status=CREATED&since=2000-01-01", headers=AUTH)
    assert {s["SessionId"] for s in r.json()["Sessions"]} == {a, b}
    assert client.delete(f"/v1/sessions/{a}", headers=AUTH).status_code == 204
    assert client.get(f"/v1/sessions/{a}/results", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"Settings": {"AuditImagesLimit": 5}}, "AuditImagesLimit"),
        ({"Settings": {"AuditImagesLimit": True}}, "AuditImagesLimit"),
        ({"Settings": {"AuditImagesLimit": "2"}}, "AuditImagesLimit"),
        ({"Settings": {"Threshold": 100.5}}, "Threshold"),
        ({"Settings": {"Threshold": None}}, "Threshold"),
        ({"Settings": {"ChallengePreferences": [{"Type": "Dance"}]}}, "Type"),
        ({"Settings": {"ChallengePreferences": []}}, "ChallengePreferences"),
        ({"Settings": {"KeepRecording": "yes"}}, "KeepRecording"),
        ({"Settings": {"CustomerReference": "x" * 500}}, "CustomerReference"),
        ({"Settings": {"AuditImageLimit": 1}}, "AuditImageLimit"),
        ({"Setting": {}}, "Setting"),
        ([1, 2], "object"),
        ("text", "object"),
    ],
)
def test_bad_create_requests_name_the_problem(client: TestClient, body: object, needle: str) -> None:
    r = client.post("/v1/sessions", content=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert needle in r.json()["Error"]["Message"]


@pytest.mark.parametrize(
    ("raw", "ctype", "status"),
    [
        (b"{", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"Settings": NaN}', "application/json", 400),
        (b'{"Settings": {"Threshold": 1e999}}', "application/json", 400),
        (b"[" * 50000, "application/json", 400),
        (b'{"Settings": {"AuditImagesLimit": 1' + b"0" * 5000 + b"}}", "application/json", 400),
        (b"Settings=1", "application/x-www-form-urlencoded", 415),
        (b"", "application/json", 201),
    ],
)
def test_malformed_bodies(client: TestClient, raw: bytes, ctype: str, status: int) -> None:
    r = client.post("/v1/sessions", content=raw, headers={**AUTH, "Content-Type": ctype})
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.json()["Error"]["Code"]


def test_token_is_required(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):
        r = client.get("/v1/sessions", headers=headers)
        assert r.status_code == 401 and r.json()["Error"]["Code"] == "Unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/v1/sessions", json={}).status_code == 401
    assert client.get("/v1/health").json()["Status"] == "ok"
    assert client.get("/openapi.json").status_code == 200


def test_oversized_bodies_are_refused_before_reading(client: TestClient) -> None:
    r = client.post("/v1/sessions", content=b"{" + b" " * MAX_BODY + b"}", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413
    # Declared too large: refused from the header alone (even without a token).
    r = client.post("/v1/sessions", content=b"{}", headers={"Content-Length": str(10**12), "Content-Type": "application/json"})
    assert r.status_code == 413

    def chunks():
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/v1/sessions", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_unknown_session_and_routes(client: TestClient) -> None:
    for path in ("/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAA/results", "/v1/sessions/..%2F..%2Fetc/results", "/v1/sessions/x/results"):
        r = client.get(path, headers=AUTH)
        assert r.status_code == 404, path
    assert client.post("/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAA/start", headers=AUTH).json()["Error"]["Code"] == "SessionNotFound"
    assert client.get("/v1/nothing", headers=AUTH).status_code == 404
    r = client.put("/v1/sessions", headers=AUTH)
    assert r.status_code == 405 and r.json()["Error"]["Code"] == "MethodNotAllowed"
    assert client.get("/v1/sessions?colour=red", headers=AUTH).status_code == 400
    assert client.get("/v1/sessions?limit=0", headers=AUTH).status_code == 400
    assert client.get("/v1/sessions?since=tomorrow", headers=AUTH).status_code == 400
    assert client.get("/v1/sessions?status=DONE", headers=AUTH).status_code == 400


def test_start_conflict_expiry_and_no_kiosk(client: TestClient, service, clock: ManualClock) -> None:
    sid = _create(client)
    r = client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
    assert r.status_code == 503 and r.json()["Error"]["Code"] == "NoKioskAttached"
    service.subscribe(lambda e: None, kiosk=True)
    assert client.post(f"/v1/sessions/{sid}/start", headers=AUTH).status_code == 202
    r = client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
    assert r.status_code == 409 and r.json()["Error"]["Code"] == "SessionConflict"
    late = _create(client)
    clock.advance(service.settings.session_expiry_s + 1)
    r = client.post(f"/v1/sessions/{late}/start", headers=AUTH)
    assert r.status_code == 410 and r.json()["Status"] == "EXPIRED"
    r = client.get(f"/v1/sessions/{late}/results", headers=AUTH)
    assert r.status_code == 410 and r.json()["Status"] == "EXPIRED"


def test_lockout_gives_423(client: TestClient, service) -> None:
    service.subscribe(lambda e: None, kiosk=True)
    pending = _create(client)
    for _ in range(2):
        sid = _create(client)
        client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
        _finish(service, sid, decision="fail")
    for r in (client.post("/v1/sessions", json={}, headers=AUTH), client.post(f"/v1/sessions/{pending}/start", headers=AUTH)):
        assert r.status_code == 423
        assert r.json()["Error"]["Code"] == "LockedOut" and r.json()["LockedUntil"].endswith("Z")
    assert client.get("/v1/lockout", headers=AUTH).json()["Locked"] is True


def test_tampered_image_is_reported_not_served(client: TestClient, service) -> None:
    service.subscribe(lambda e: None, kiosk=True)
    sid = _create(client)
    client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
    _finish(service, sid)
    path = service.store.session_dir(sid) / "reference.enc"
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF
    path.write_bytes(bytes(data))
    r = client.get(f"/v1/sessions/{sid}/results", headers=AUTH)
    assert r.status_code == 500 and r.json()["Error"]["Code"] == "IntegrityError"
    assert client.get("/v1/health").status_code == 200


def test_openapi_document_is_served_and_committed(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == committed, "regenerate with: python -m app.core.api.openapi docs/openapi.json"
    assert (REPO / "docs" / "openapi.json").read_text(encoding="utf-8") == render()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", "10.0.0.1"])
def test_non_loopback_bind_is_refused(host: str) -> None:
    with pytest.raises(ConfigError):
        check_bind_address(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_bind_is_accepted(host: str) -> None:
    assert check_bind_address(host)


def test_remote_bind_needs_the_flag() -> None:
    assert check_bind_address("0.0.0.0", allow_remote=True) == "0.0.0.0"


def test_cli_serve_refuses_remote_bind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import main as cli_main

    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(tmp_path / "config"))
    assert cli_main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert not (tmp_path / "data" / "sessions").exists()


def test_cli_token_is_stable_and_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main as cli_main

    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    assert cli_main(["token"]) == 0
    first = capsys.readouterr().out.strip()
    assert cli_main(["token"]) == 0
    assert capsys.readouterr().out.strip() == first and len(first) >= 43
    assert cli_main(["token", "--rotate"]) == 0
    assert capsys.readouterr().out.strip() != first


def test_busy_port_is_a_clear_error(service) -> None:
    first = ApiServer(service, token=TOKEN, port=0)
    try:
        with pytest.raises(ApiError, match="cannot listen"):
            ApiServer(service, token=TOKEN, port=first.port)
    finally:
        first.stop()


def test_real_server_runs_as_a_task_in_an_existing_loop(service) -> None:
    """What the GUI does on its qasync loop: await serve() as a task, stop() on quit."""
    events: list[SessionEvent] = []
    service.subscribe(events.append, kiosk=True)
    server = ApiServer(service, token=TOKEN, port=0)

    async def scenario() -> list[int]:
        task = asyncio.create_task(server.serve())
        statuses = []
        async with httpx.AsyncClient(base_url=server.url) as http:
            for _ in range(200):  # wait for start-up by polling health (bounded)
                try:
                    statuses.append((await http.get("/v1/health")).status_code)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.01)
            r = await http.post("/v1/sessions", json={}, headers=AUTH)
            statuses.append(r.status_code)
            sid = r.json()["SessionId"]
            statuses.append((await http.post(f"/v1/sessions/{sid}/start", headers=AUTH)).status_code)
            statuses.append((await http.post("/v1/sessions", content=b"{", headers={**AUTH, "Content-Type": "application/json"})).status_code)
            statuses.append((await http.get("/v1/health")).status_code)
        server.stop()
        await asyncio.wait_for(task, 10)
        return statuses

    assert asyncio.run(scenario()) == [200, 201, 202, 400, 200]
    assert [e.kind for e in events] == ["created", "started"]
