"""Property tests of the API: whatever arrives, the answer is a JSON 4xx (or success), never a 500."""

from __future__ import annotations

import json
import string
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

from app.core.api.app import create_app
from app.core.sessions import ManualClock
from app.core.store.synthetic import make_service, synthetic_result

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "fuzz-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
FIELDS = ["AuditImagesLimit", "ChallengePreferences", "Threshold", "KeepRecording", "OperatorReference", "CustomerReference"]
FUZZ = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5), max_leaves=25)
settings_values = st.dictionaries(st.sampled_from([*FIELDS, "Bogus", "auditimageslimit"]), json_values, max_size=6)
plausible_settings = st.fixed_dictionaries(
    {},
    optional={
        "AuditImagesLimit": st.integers(min_value=-5, max_value=10) | st.integers(),
        "Threshold": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
        "KeepRecording": st.booleans() | st.integers(0, 1),
        "CustomerReference": st.text(max_size=250),
        "OperatorReference": st.text(max_size=250),
        "ChallengePreferences": st.lists(
            st.fixed_dictionaries(
                {"Type": st.sampled_from(["FaceMovementAndLightChallenge", "FaceMovementChallenge", "Other", ""])},
                optional={"Versions": st.dictionaries(st.sampled_from(["Minimum", "Maximum", "X"]), json_values, max_size=2)},
            ),
            max_size=3,
        ),
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"Settings": settings_values}),
    st.fixed_dictionaries({"Settings": plausible_settings}),
    st.fixed_dictionaries({"Settings": plausible_settings}, optional={"Extra": json_values}),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("fuzz")
    service = make_service(root, clock=ManualClock())
    # One finished session so result/image paths have something real to return.
    done = service.create()
    service.start(done.id)
    service.complete(done.id, synthetic_result(done.id))
    with TestClient(create_app(service, token=TOKEN), raise_server_exceptions=False) as client:
        yield client, done.id
    service.close()


def _check(response, method: str = "POST") -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and method != "HEAD":
        body = response.json()
        assert isinstance(body["Error"]["Code"], str) and body["Error"]["Message"]


@FUZZ
@given(body=bodies)
def test_create_with_any_json_body(world, body) -> None:
    client, _ = world
    r = client.post("/v1/sessions", content=json.dumps(body), headers=AUTH)
    _check(r)
    assert r.status_code in (201, 400)
    if r.status_code == 201:
        assert isinstance(r.json()["SessionId"], str)


@FUZZ
@given(raw=st.binary(max_size=3000) | st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_create_with_arbitrary_bytes(world, raw: bytes) -> None:
    client, _ = world
    _check(client.post("/v1/sessions", content=raw, headers=AUTH))


path_text = st.text(alphabet=string.printable + "éß☃\u0000", max_size=80)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    template=st.sampled_from(
        ["/v1/sessions/{}", "/v1/sessions/{}/start", "/v1/sessions/{}/results", "/v1/sessions/{}/images/{}", "/v1/{}", "/{}", "/v1/sessions"]
    ),
    parts=st.lists(path_text, min_size=2, max_size=2),
    query=st.dictionaries(st.sampled_from(["images", "status", "limit", "offset", "since", "until", "customer_ref", "x"]), path_text, max_size=4),
    use_real=st.booleans(),
)
def test_any_method_path_and_query(world, method: str, template: str, parts: list[str], query: dict[str, str], use_real: bool) -> None:
    client, real_id = world
    first = real_id if use_real and method != "DELETE" else quote(parts[0], safe="")
    path = template.format(first, quote(parts[1], safe=""))
    r = client.request(method, path, params=query, headers=AUTH)
    _check(r, method)


@FUZZ
@given(headers=st.dictionaries(st.sampled_from(["Authorization", "Content-Length", "Content-Type"]), st.text(alphabet=string.printable, max_size=60), max_size=3))
def test_odd_headers(world, headers: dict[str, str]) -> None:
    client, _ = world
    try:
        r = client.post("/v1/sessions", content=b"{}", headers={k: v.replace("\n", "").replace("\r", "") for k, v in headers.items()})
    except Exception as exc:  # the client itself may refuse a header it cannot send; that is not the server
        if type(exc).__name__ in ("LocalProtocolError", "InvalidHeader", "ValueError"):
            return
        raise
    _check(r)


def test_server_is_still_healthy_after_fuzzing(world) -> None:
    client, real_id = world
    assert client.get("/v1/health").json()["Status"] == "ok"
    assert client.get(f"/v1/sessions/{real_id}/results", headers=AUTH).json()["Status"] == "SUCCEEDED"
