"""The service-protocol surface: the real boto3 client against a live API server on 127.0.0.1.

The server is the real ``ApiServer`` in a thread (one test runs ``livegate serve`` in a
subprocess, the issue's done-when snippet). Sessions are started through ``/v1`` (the kiosk's
start path) and finished with synthetic signed results through the real ``SessionService``;
``OutputConfig`` goes to moto's S3 server. SigV4 is checked against botocore's own signer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import cv2
import httpx
import numpy as np
import pytest
from botocore.awsrequest import AWSRequest
from botocore.auth import SigV4Auth
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from app.core.api.server import ApiServer
from app.core.api.sigv4 import (
    Credentials,
    SigV4Error,
    SigV4Verifier,
    canonical_request,
    credentials_from_secret,
    sign_headers,
    signing_key,
    stored_credentials,
    string_to_sign,
)
from app.core.fleet.local_servers import S3Server, free_port, wait_for
from app.core.sessions import ManualClock
from app.core.settings import Settings
from app.core.store.signing import verify_document
from app.devtools.synthetic_results import make_service, synthetic_result

REPO = Path(__file__).resolve().parents[1]
TOKEN = "aws-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NO_RETRY = Config(retries={"total_max_attempts": 1}, parameter_validation=False)


class Live:
    """A running server, its service and clock, and clients for both surfaces."""

    def __init__(self, root: Path, *, settings: Settings | None = None, regions: list[str] | None = None) -> None:
        self.clock = ManualClock()
        self.service = make_service(root, clock=self.clock, settings=settings or Settings(), kiosk=True)
        keys = self.service.store.keys
        self.creds = stored_credentials(keys)
        self.server = ApiServer(self.service, token=TOKEN, port=0, aws_credentials=lambda: stored_credentials(keys), aws_regions=regions)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert wait_for(self._up, 10.0), "the API server did not start"

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.server.url}/v1/health", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def client(self, *, key_id: str | None = None, secret: str | None = None, region: str = "us-east-1", config: Config | None = None) -> Any:
        return boto3.session.Session().client(
            "rekognition",
            endpoint_url=self.server.url,
            region_name=region,
            aws_access_key_id=key_id or self.creds.key_id,
            aws_secret_access_key=secret or self.creds.secret,
            config=config,
        )

    def v1(self, method: str, path: str) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}{path}", headers=AUTH, timeout=10.0)

    def close(self) -> None:
        self.server.stop()
        self.thread.join(15)
        self.service.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    server = Live(tmp_path)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def shared_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One server for the tests that only read or are refused (starting a server per case costs more than the case)."""
    server = Live(tmp_path_factory.mktemp("shared"))
    try:
        yield server
    finally:
        server.close()


def _jpeg_ok(data: bytes) -> bool:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- the flow -------------------------------------------------------------------------------------


def test_create_then_created_then_the_kiosk_result(live: Live) -> None:
    rek = live.client()
    created = rek.create_face_liveness_session(Settings={"AuditImagesLimit": 2, "ChallengePreferences": [{"Type": "FaceMovementChallenge"}]})
    sid = created["SessionId"]
    assert UUID_RE.fullmatch(sid) and created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _strip(rek.get_face_liveness_session_results(SessionId=sid)) == {
        "SessionId": sid,
        "Status": "CREATED",
        "Challenge": {"Type": "FaceMovementChallenge", "Version": "1.0.0"},
    }
    # The kiosk runs it exactly like a /v1 session: the same start call, the same service.
    started = live.v1("POST", f"/v1/sessions/{sid}/start")
    assert started.status_code == 202 and started.json() == {"SessionId": sid, "Status": "IN_PROGRESS"}
    assert rek.get_face_liveness_session_results(SessionId=sid)["Status"] == "IN_PROGRESS"
    live.service.complete(sid, synthetic_result(sid))

    result = rek.get_face_liveness_session_results(SessionId=sid)
    assert set(_strip(result)) == {"SessionId", "Status", "Confidence", "ReferenceImage", "AuditImages", "Challenge"}
    assert (result["SessionId"], result["Status"], result["Confidence"]) == (sid, "SUCCEEDED", 87.5)
    assert len(result["AuditImages"]) == 2
    for image in [result["ReferenceImage"], *result["AuditImages"]]:
        assert set(image) == {"Bytes", "BoundingBox"} and _jpeg_ok(image["Bytes"])  # botocore decoded the blob
        box = image["BoundingBox"]
        assert set(box) == {"Width", "Height", "Left", "Top"} and all(0.0 <= v <= 1.0 for v in box.values())
    # Underneath: the same signed result the /v1 API serves, with the same images.
    signed = live.v1("GET", f"/v1/sessions/{sid}/results").json()
    assert verify_document(signed, {live.service.key_id: live.service.store.signer.public_key}).valid
    assert signed["SessionId"] == sid and signed["Decision"] == "pass" and signed["Confidence"] == result["Confidence"]
    assert hashlib.sha256(result["ReferenceImage"]["Bytes"]).hexdigest() == signed["ReferenceImage"]["Sha256"]
    assert [hashlib.sha256(a["Bytes"]).hexdigest() for a in result["AuditImages"]] == [a["Sha256"] for a in signed["AuditImages"]]


def test_a_check_livegate_failed_never_reads_as_a_pass(live: Live) -> None:
    rek = live.client()
    sid = rek.create_face_liveness_session()["SessionId"]
    live.v1("POST", f"/v1/sessions/{sid}/start")
    live.service.complete(sid, synthetic_result(sid, decision="fail", confidence=59.0, audit=0))
    result = rek.get_face_liveness_session_results(SessionId=sid)
    # Livegate said fail (below its threshold, or a check that could not be made): a lower threshold
    # chosen by the integrator must not turn it into a pass.
    assert result["Status"] == "SUCCEEDED" and result["Confidence"] <= 5.0 and result["AuditImages"] == []
    other = rek.create_face_liveness_session()["SessionId"]
    live.v1("POST", f"/v1/sessions/{other}/start")
    live.service.error(other, "the camera was disconnected")
    assert _strip(rek.get_face_liveness_session_results(SessionId=other))["Status"] == "FAILED"


def test_expired_unknown_and_malformed_sessions(live: Live) -> None:
    rek = live.client(config=NO_RETRY)
    sid = rek.create_face_liveness_session()["SessionId"]
    live.clock.advance(181.0)  # the service's three minutes, unused
    assert _strip(rek.get_face_liveness_session_results(SessionId=sid))["Status"] == "EXPIRED"
    assert live.v1("POST", f"/v1/sessions/{sid}/start").status_code == 410
    with pytest.raises(rek.exceptions.SessionNotFoundException) as missing:
        rek.get_face_liveness_session_results(SessionId="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(rek.exceptions.InvalidParameterException, match="36-character lowercase UUID"):
        rek.get_face_liveness_session_results(SessionId="0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0")


def test_idempotent_client_request_token(live: Live) -> None:
    # The SDK's own retries on: the byte-identical repeat may fall in the same second as the first
    # request (same signature, refused as a replay with ThrottlingException), and the SDK re-signs it.
    rek = live.client()
    first = rek.create_face_liveness_session(ClientRequestToken="order-42", Settings={"AuditImagesLimit": 1})["SessionId"]
    again = rek.create_face_liveness_session(ClientRequestToken="order-42", Settings={"AuditImagesLimit": 1})["SessionId"]
    assert first == again and len(live.service.list()) == 1
    rek = live.client(config=NO_RETRY)
    assert rek.create_face_liveness_session(ClientRequestToken="order-43", Settings={"AuditImagesLimit": 1})["SessionId"] != first
    with pytest.raises(rek.exceptions.InvalidParameterException, match="different parameters"):
        rek.create_face_liveness_session(ClientRequestToken="order-42", Settings={"AuditImagesLimit": 3})
    live.v1("DELETE", f"/v1/sessions/{first}")
    assert live.client().create_face_liveness_session(ClientRequestToken="order-42", Settings={"AuditImagesLimit": 1})["SessionId"] != first


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"KmsKeyId": "alias/my-key"}, "envelope-encrypted"),
        ({"Settings": {"AuditImagesLimit": 5}}, "AuditImagesLimit"),
        ({"Settings": {"ChallengePreferences": [{"Type": "Blink"}]}}, "ChallengePreferences"),
        ({"Settings": {"ChallengePreferences": [{"Type": "FaceMovementChallenge", "Versions": {"Minimum": "2.0.0"}}]}}, "version 1.0.0"),
        ({"Settings": {"OutputConfig": {"S3KeyPrefix": "x"}}}, "S3Bucket"),
        ({"ClientRequestToken": "has space"}, "ClientRequestToken"),
    ],
)
def test_bad_create_parameters(shared_live: Live, params: dict[str, Any], needle: str) -> None:
    rek = shared_live.client(config=NO_RETRY)
    before = len(shared_live.service.list())
    with pytest.raises(rek.exceptions.InvalidParameterException, match=needle) as caught:
        rek.create_face_liveness_session(**params)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(shared_live.service.list()) == before


def test_lockout_answers_throttling(tmp_path: Path) -> None:
    live = Live(tmp_path, settings=Settings(lockout_failures=2))
    try:
        for _ in range(2):
            sid = live.service.create().id
            live.service.start(sid)
            live.service.fail(sid, "no face")
        rek = live.client(config=NO_RETRY)
        with pytest.raises(rek.exceptions.ThrottlingException, match="locked until"):
            rek.create_face_liveness_session()
    finally:
        live.close()


# --- authentication -------------------------------------------------------------------------------


def test_unknown_key_and_bad_signature(live: Live) -> None:
    with pytest.raises(ClientError) as unknown:
        live.client(key_id="AKIAIOSFODNN7EXAMPLE", config=NO_RETRY).create_face_liveness_session()
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert 400 <= unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    with pytest.raises(ClientError) as wrong:
        live.client(secret=live.creds.secret[:-4] + "AAAA", config=NO_RETRY).create_face_liveness_session()
    assert wrong.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert wrong.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert live.service.list() == []
    # Any region the integrator already uses is fine by default.
    assert UUID_RE.fullmatch(live.client(region="ap-southeast-2").create_face_liveness_session()["SessionId"])


def _raw(live: Live, body: bytes, *, when: float, target: str = "RekognitionService.CreateFaceLivenessSession") -> httpx.Response:
    host = f"127.0.0.1:{live.server.port}"
    headers = sign_headers(live.creds, method="POST", host=host, raw_path="/", body=body, target=target, region="us-east-1", when=when)
    return httpx.post(f"{live.server.url}/", content=body, headers=headers, timeout=10.0)


def test_replay_and_clock_skew_are_refused(live: Live) -> None:
    now = time.time()
    first = _raw(live, b"{}", when=now)
    assert first.status_code == 200 and UUID_RE.fullmatch(first.json()["SessionId"])
    assert first.headers["content-type"] == "application/x-amz-json-1.1"
    replayed = _raw(live, b"{}", when=now)
    assert replayed.json()["__type"] == "ThrottlingException" and "identical signed request" in replayed.json()["Message"]
    assert len(live.service.list()) == 1
    stale = _raw(live, b"{}", when=now - 360)
    assert stale.status_code == 403 and stale.json()["__type"] == "InvalidSignatureException" and "Signature expired" in stale.json()["Message"]
    unknown_op = _raw(live, b"{}", when=now, target="RekognitionService.DetectFaces")
    assert unknown_op.json()["__type"] == "UnknownOperationException"
    unsigned = httpx.post(f"{live.server.url}/", content=b"{}", headers={"X-Amz-Target": "RekognitionService.CreateFaceLivenessSession"})
    assert unsigned.status_code == 403 and unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    # The bearer token is not a way in to this surface, nor the service's keys into /v1.
    bearer = httpx.post(f"{live.server.url}/", content=b"{}", headers={**AUTH, "X-Amz-Target": "RekognitionService.CreateFaceLivenessSession"})
    assert bearer.status_code == 400 and bearer.json()["__type"] == "IncompleteSignatureException"
    assert httpx.get(f"{live.server.url}/v1/sessions", headers={"Authorization": _raw_auth(live)}).status_code == 401


def _raw_auth(live: Live) -> str:
    headers = sign_headers(live.creds, method="GET", host="h", raw_path="/v1/sessions", body=b"", target="x", region="us-east-1", when=time.time())
    return headers["authorization"]


def test_regions_can_be_restricted(tmp_path: Path) -> None:
    live = Live(tmp_path, regions=["eu-central-1"])
    try:
        assert UUID_RE.fullmatch(live.client(region="eu-central-1").create_face_liveness_session()["SessionId"])
        with pytest.raises(ClientError) as other:
            live.client(region="us-east-1", config=NO_RETRY).create_face_liveness_session()
        assert other.value.response["Error"]["Code"] == "InvalidSignatureException" and "eu-central-1" in str(other.value)
    finally:
        live.close()


def _botocore_signed(creds: Credentials, url: str, body: bytes, region: str, headers: dict[str, str]) -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(BotoCredentials(creds.key_id, creds.secret), "rekognition", region).add_auth(request)
    return request


def test_verifier_agrees_with_botocores_signer() -> None:
    """Paths needing encoding, query strings and repeated spaces, signed by botocore and checked by ours."""
    creds = credentials_from_secret(bytes(range(40)))
    verifier = SigV4Verifier(lambda: creds)
    url = "http://127.0.0.1:8765/a%20b/./c/../d?z=1&a=x%2Fy&a=b&empty="
    body = b'{"SessionId": "x"}'
    request = _botocore_signed(creds, url, body, "eu-west-3", {"X-Amz-Target": "RekognitionService.X", "X-Custom": "a   b  c", "Host": "127.0.0.1:8765"})
    headers = [(k, str(v)) for k, v in request.headers.items()]
    signature = verifier.verify("POST", "/a%20b/./c/../d", "z=1&a=x%2Fy&a=b&empty=", headers, body)
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    with pytest.raises(SigV4Error) as tampered:
        SigV4Verifier(lambda: creds).verify("POST", "/a%20b/./c/../d", "z=1&a=x%2Fy&a=b&empty=", headers, body + b" ")
    assert tampered.value.code == "InvalidSignatureException"


def test_the_specifications_example_signature() -> None:
    """The specification's published example (GET with host and date only)."""
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    headers = [("host", "example.amazonaws.com"), ("x-amz-date", "20150830T123600Z")]
    canonical = canonical_request("GET", "/", "", headers, ["host", "x-amz-date"], hashlib.sha256(b"").hexdigest())
    to_sign = string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical)
    key = signing_key(secret, "20150830", "us-east-1", "service")
    import hmac

    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def test_verifier_refusals_with_a_fake_clock() -> None:
    creds = credentials_from_secret(bytes(40))
    now = [1_700_000_000.0]
    verifier = SigV4Verifier(lambda: creds, clock=lambda: now[0], skew_s=300)
    body = b"{}"

    def signed(when: float, target: str = "RekognitionService.CreateFaceLivenessSession") -> list[tuple[str, str]]:
        return list(sign_headers(creds, method="POST", host="h:1", raw_path="/", body=body, target=target, region="us-east-1", when=when).items())

    assert verifier.verify("POST", "/", "", signed(now[0] - 299), body)
    with pytest.raises(SigV4Error, match="Signature expired"):
        verifier.verify("POST", "/", "", signed(now[0] + 301), body)
    early = signed(now[0] - 100)
    verifier.verify("POST", "/", "", early, body)
    with pytest.raises(SigV4Error) as replay:
        verifier.verify("POST", "/", "", early, body)
    assert replay.value.code == "ThrottlingException"
    now[0] += 250  # the first request's date is now outside the window: forgotten, and refused as stale anyway
    with pytest.raises(SigV4Error, match="Signature expired"):
        verifier.verify("POST", "/", "", early, body)
    # The target must be signed: otherwise a captured create could be re-aimed at another operation.
    unsigned_target = [(k, v.replace(";x-amz-target", "")) if k == "authorization" else (k, v) for k, v in signed(now[0])]
    with pytest.raises(SigV4Error, match="x-amz-target"):
        verifier.verify("POST", "/", "", unsigned_target, body)


# --- OutputConfig to an S3-protocol store -----------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_output_config_delivers_images_to_the_bucket(live: Live, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_FLEET_S3_ENDPOINT", s3_server.endpoint)
    monkeypatch.setenv("LIVEGATE_FLEET_S3_ADDRESSING", "path")
    monkeypatch.setenv("LIVEGATE_FLEET_S3_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("LIVEGATE_FLEET_S3_SECRET_KEY", s3_server.secret_key)
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=s3_server.endpoint, region_name="us-east-1",
        aws_access_key_id=s3_server.access_key, aws_secret_access_key=s3_server.secret_key,
    )
    s3.create_bucket(Bucket="liveness-out")
    rek = live.client()
    sid = rek.create_face_liveness_session(
        Settings={"OutputConfig": {"S3Bucket": "liveness-out", "S3KeyPrefix": "kiosk-7"}, "AuditImagesLimit": 2}
    )["SessionId"]
    assert _strip(rek.get_face_liveness_session_results(SessionId=sid))["Status"] == "CREATED"
    live.v1("POST", f"/v1/sessions/{sid}/start")
    live.service.complete(sid, synthetic_result(sid))
    result = rek.get_face_liveness_session_results(SessionId=sid)
    reference = result["ReferenceImage"]
    assert set(reference) == {"S3Object", "BoundingBox"}
    assert reference["S3Object"] == {"Bucket": "liveness-out", "Name": f"kiosk-7/{sid}/reference.jpg"}
    assert [a["S3Object"]["Name"] for a in result["AuditImages"]] == [f"kiosk-7/{sid}/audit_images/{n}.jpg" for n in (1, 2)]
    signed = live.v1("GET", f"/v1/sessions/{sid}/results").json()
    stored = s3.get_object(Bucket="liveness-out", Key=reference["S3Object"]["Name"])
    assert stored["ContentType"] == "image/jpeg"
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == signed["ReferenceImage"]["Sha256"]
    # A second read answers from the record of the delivery (same objects, no second upload needed).
    assert rek.get_face_liveness_session_results(SessionId=sid)["ReferenceImage"] == reference
    with pytest.raises(rek.exceptions.InvalidParameterException, match="does not exist"):
        rek.create_face_liveness_session(Settings={"OutputConfig": {"S3Bucket": "no-such-bucket"}})


# --- the CLI: `livegate token --aws` and `livegate serve` (the done-when) ------------------


def test_cli_token_aws_is_stable_and_rotates(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main as cli_main

    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    assert cli_main(["token", "--aws"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert [line.split("=", 1)[0] for line in first] == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert re.fullmatch(r"AWS_ACCESS_KEY_ID=LGIA[A-Z2-7]{16}", first[0]) and len(first[1].split("=", 1)[1]) == 40
    assert cli_main(["token", "--aws"]) == 0
    assert capsys.readouterr().out.splitlines() == first
    key_file = Path(os.environ["LIVEGATE_DATA_DIR"]) / "keys" / "aws-credentials.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert cli_main(["token", "--aws", "--rotate"]) == 0
    rotated = capsys.readouterr().out.splitlines()
    assert rotated[0] != first[0] and rotated[1] != first[1]


def test_done_when_snippet_against_livegate_serve(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LIVEGATE_DATA_DIR": str(tmp_path / "data"),
        "LIVEGATE_CONFIG_DIR": str(tmp_path / "config"),
        "LIVEGATE_KEY_BACKEND": "file",
    }
    printed = subprocess.run([sys.executable, "-m", "app", "token", "--aws"], env=env, capture_output=True, text=True, timeout=60, check=True)
    values = dict(line.split("=", 1) for line in printed.stdout.splitlines())
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1.0).status_code == 200
            except httpx.TransportError:
                return False

        assert wait_for(up, 60.0), "livegate serve did not start"
        client = boto3.client(
            "rekognition",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
        )
        session_id = client.create_face_liveness_session()["SessionId"]
        assert UUID_RE.fullmatch(session_id)
        assert client.get_face_liveness_session_results(SessionId=session_id)["Status"] == "CREATED"
        wrong = boto3.client(
            "rekognition",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key="not-the-secret",
        )
        with pytest.raises(ClientError) as caught:
            wrong.create_face_liveness_session()
        assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "AWS SDK clients use endpoint_url=" in err and "Traceback" not in err


def test_json_body_shapes_are_exactly_the_services(live: Live) -> None:
    """Raw bytes: what the SDK parses (``__type`` errors, no Livegate-only members)."""
    now = time.time()
    created = _raw(live, json.dumps({"Settings": {"AuditImagesLimit": 0}}).encode(), when=now)
    sid = created.json()["SessionId"]
    assert set(created.json()) == {"SessionId"}
    got = _raw(live, json.dumps({"SessionId": sid}).encode(), when=now, target="RekognitionService.GetFaceLivenessSessionResults")
    assert got.json() == {"SessionId": sid, "Status": "CREATED", "Challenge": {"Type": "FaceMovementAndLightChallenge", "Version": "1.0.0"}}
    bad = _raw(live, b"{not json", when=now)
    assert bad.status_code == 400 and bad.json()["__type"] == "SerializationException"


def test_output_config_without_a_usable_object_store(shared_live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_FLEET_S3_ADDRESSING", "sideways")  # fleet settings that cannot be used
    rek = shared_live.client(config=NO_RETRY)
    with pytest.raises(rek.exceptions.InvalidParameterException, match="OutputConfig cannot be used on this device.*s3_addressing"):
        rek.create_face_liveness_session(Settings={"OutputConfig": {"S3Bucket": "liveness-out"}})
