"""Contract fuzzing of the API against docs/openapi.json, plus robustness properties.

The requests are generated from the committed OpenAPI document itself (a small JSON-Schema
generator and validator for the keywords the document uses, driven by hypothesis):

* every request valid under the document gets a success, or one of the state-dependent answers
  the document declares for it (unknown session, conflict, expired, locked out, no kiosk);
* every request the document's schemas make invalid gets a declared 4xx with the JSON error;
* every answer's status is declared for its operation and its JSON body matches the declared schema;
* a method not declared for a path is 405 with an ``Allow`` header naming exactly the declared ones.

The number of examples is bounded so the whole file runs in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

from app.core.api.app import create_app
from app.core.sessions import ManualClock
from app.devtools.synthetic_results import make_service, synthetic_result

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
DOC: dict[str, Any] = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
TOKEN = "fuzz-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_CT = {"Content-Type": "application/json"}
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
FUZZ = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
#: Non-success answers a *valid* request may still get, because they depend on stored state.
STATE_DEPENDENT = {404, 409, 410, 423}

OPERATIONS = [
    (path, method.upper(), op) for path, item in DOC["paths"].items() for method, op in item.items() if method.upper() in HTTP_METHODS
]
OP_IDS = [op["operationId"] for _, _, op in OPERATIONS]
#: Operations with something a request can get wrong (parameters or a body).
WITH_INPUT = [(path, method, op) for path, method, op in OPERATIONS if op.get("parameters") or op.get("requestBody")]


# --- a JSON-Schema validator for the keywords docs/openapi.json uses ---------------------------------


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = DOC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _python_pattern(pattern: str) -> str:
    # ECMA-262 "$" matches only at the very end; Python's also before a final newline.
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))")


def _is_date(text: str) -> bool:
    m = _DATE.fullmatch(text)
    if m is None:
        return False
    try:
        dt.date(int(m[1]), int(m[2]), int(m[3]))  # years 1-9999, as the document's description says
    except ValueError:
        return False
    return True


def _is_date_time(text: str) -> bool:
    """RFC 3339 date-time, without leap seconds (the document excludes them)."""
    m = _DATE_TIME.fullmatch(text)
    if m is None or not _is_date(m[1]):
        return False
    hour, minute, second = int(m[2]), int(m[3]), int(m[4])
    if hour > 23 or minute > 59 or second > 59:
        return False
    return m[7] is None or (int(m[8]) <= 23 and int(m[9]) <= 59)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind == "number" or isinstance(value, int) or float(value).is_integer()


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1.
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def errors(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """What makes ``value`` invalid under ``schema`` (empty when valid)."""
    schema = resolve(schema)
    found: list[str] = []
    if "anyOf" in schema and not any(not errors(branch, value, where) for branch in schema["anyOf"]):
        found.append(f"{where}: matches no anyOf branch")
    if "oneOf" in schema and sum(not errors(branch, value, where) for branch in schema["oneOf"]) != 1:
        found.append(f"{where}: does not match exactly one oneOf branch")
    if "type" in schema:
        kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not any(_is_type(value, kind) for kind in kinds):
            return [*found, f"{where}: not {schema['type']}"]
    if "const" in schema and not _same(schema["const"], value):
        found.append(f"{where}: not {schema['const']!r}")
    if "enum" in schema and not any(_same(option, value) for option in schema["enum"]):
        found.append(f"{where}: not one of {schema['enum']}")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
            found.append(f"{where}: length {len(value)}")
        if "pattern" in schema and re.search(_python_pattern(schema["pattern"]), value) is None:
            found.append(f"{where}: does not match {schema['pattern']}")
        if schema.get("format") == "date" and not _is_date(value):
            found.append(f"{where}: not a date")
        if schema.get("format") == "date-time" and not _is_date_time(value):
            found.append(f"{where}: not a date-time")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        found += [f"{where}: no {key}" for key in schema.get("required", []) if key not in value]
        if len(value) > schema.get("maxProperties", len(value)):
            found.append(f"{where}: too many members")
        for key, item in value.items():
            if key in props:
                found += errors(props[key], item, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unknown member {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(schema["additionalProperties"], item, f"{where}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append(f"{where}: {len(value)} items")
        if "items" in schema:
            for i, item in enumerate(value):
                found += errors(schema["items"], item, f"{where}[{i}]")
    return found


# --- generating values that a schema accepts ---------------------------------------------------------

_OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


def _rfc3339(moment: dt.datetime, digits: int, upper: bool) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    zone = ("Z" if upper else "z") if minutes == 0 else f"{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    fraction = f".{moment.microsecond:06d}{'0' * max(digits - 6, 0)}"[: digits + 1] if digits else ""
    return f"{moment:%Y-%m-%d}{'T' if upper else 't'}{moment:%H:%M:%S}{fraction}{zone}"


def values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for values valid under ``schema``."""
    schema = resolve(schema)
    return _values(schema).filter(lambda v: not errors(schema, v))


def _values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            return st.one_of([_values({**base, **resolve(branch)}) for branch in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_values({**schema, "type": k}) for k in kind])
    if kind == "object":
        props = schema.get("properties", {})
        if schema.get("maxProperties") == 0:
            return st.just({})
        required = {k: values(props[k]) for k in schema.get("required", [])}
        optional = {k: values(v) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        return st.lists(values(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 4))
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(_python_pattern(schema["pattern"]), fullmatch=True)
        if schema.get("format") == "date":
            return st.dates().map(dt.date.isoformat)
        if schema.get("format") == "date-time":
            return st.builds(_rfc3339, st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=_OFFSETS), st.integers(0, 12), st.booleans())
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.integers(None if low is None else int(low), None if high is None else int(high)) | st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.nothing()


# --- requests ---------------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=60)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4), max_leaves=12)


def _query_valid(schema: dict[str, Any], raw: str) -> bool:
    """Whether ``raw`` (as sent in the query string) is valid under ``schema`` (form style)."""
    if resolve(schema).get("type") == "integer":
        return re.fullmatch(r"-?[0-9]+", raw) is not None and not errors(schema, int(raw))
    return not errors(schema, raw)


def _params(op: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p["in"] == where]


def _body_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    body = op.get("requestBody")
    return None if body is None else body["content"]["application/json"]["schema"]


def _url(path: str, path_values: dict[str, str]) -> str:
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def check_answer(op: dict[str, Any], response: Any, *, valid: bool) -> None:
    """The answer's status is declared, its body matches, and it fits the request's validity."""
    status = str(response.status_code)
    declared = op["responses"]
    assert status in declared, f"undeclared status {status}: {response.text[:300]}"
    content = declared[status].get("content", {})
    if response.status_code == 204:
        assert response.content == b""
    elif content:
        media = response.headers.get("content-type", "").split(";")[0]
        assert media in content, f"{media} not among {sorted(content)}"
        schema = content[media].get("schema")
        if media == "application/json":
            body = response.json()
            if schema is not None:
                problems = errors(schema, body)
                assert not problems, problems[:5]
    if valid:
        ok = response.status_code < 300 or response.status_code in STATE_DEPENDENT
        no_kiosk = response.status_code == 503 and response.json()["Error"]["Code"] == "NoKioskAttached"
        assert ok or no_kiosk, f"a valid request was refused: {status} {response.text[:300]}"
    else:
        assert 400 <= response.status_code < 500, f"an invalid request got {status}: {response.text[:300]}"
        assert response.json()["Error"]["Code"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("fuzz")
    service = make_service(root, clock=ManualClock())
    done = service.create()  # one finished session, so results and images have something real
    service.start(done.id)
    service.complete(done.id, synthetic_result(done.id))
    fresh = [service.create().id for _ in range(3)]
    with TestClient(create_app(service, token=TOKEN), raise_server_exceptions=False) as client:
        yield client, [done.id, *fresh]
    service.close()


def _path_values(data: st.DataObject, op: dict[str, Any], real_ids: list[str], method: str) -> dict[str, str]:
    chosen = {}
    for param in _params(op, "path"):
        strategy = values(param["schema"])
        if param["name"] == "session_id" and method != "DELETE":
            strategy = st.sampled_from(real_ids) | strategy
        chosen[param["name"]] = data.draw(strategy, label=param["name"])
    return chosen


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
def test_valid_requests_are_served(world, path: str, method: str, op: dict[str, Any], data: st.DataObject) -> None:
    client, real_ids = world
    url = _url(path, _path_values(data, op, real_ids, method))
    query = {}
    for param in _params(op, "query"):
        value = data.draw(st.none() | values(param["schema"]), label=param["name"])
        if value is not None:
            query[param["name"]] = str(value)
    headers = dict(AUTH)
    content = None
    schema = _body_schema(op)
    if schema is not None:
        body = data.draw(values(schema) if op["requestBody"].get("required") else st.none() | values(schema), label="body")
        if body is not None:
            content = json.dumps(body).encode("utf-8")
            headers.update(JSON_CT)
    response = client.request(method, url, params=query, content=content, headers=headers)
    check_answer(op, response, valid=True)


def _invalid_body(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    def mutate(draw: Any) -> Any:
        body = draw(values(schema))
        if not isinstance(body, dict) or draw(st.booleans()):
            return draw(json_values)
        # Replace (or add) one member somewhere in the body with any JSON value.
        target = body
        while True:
            keys = list(target)
            key = draw(st.sampled_from(keys)) if keys and draw(st.booleans()) else draw(st.text(max_size=12))
            if isinstance(target.get(key), dict) and draw(st.booleans()):
                target = target[key]
                continue
            if isinstance(target.get(key), list) and target[key] and isinstance(target[key][0], dict) and draw(st.booleans()):
                target = target[key][0]
                continue
            target[key] = draw(json_values)
            return body

    return st.composite(lambda draw: mutate(draw))()


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize(("path", "method", "op"), WITH_INPUT, ids=[op["operationId"] for _, _, op in WITH_INPUT])
def test_invalid_requests_are_refused(world, path: str, method: str, op: dict[str, Any], data: st.DataObject) -> None:
    client, real_ids = world
    targets = [("query", p) for p in _params(op, "query")] + [("path", p) for p in _params(op, "path")]
    if _body_schema(op) is not None:
        targets.append(("body", None))
    where, param = data.draw(st.sampled_from(targets), label="target")
    path_values = _path_values(data, op, real_ids, method)
    query: dict[str, str] = {}
    headers = dict(AUTH)
    content = None
    if where == "query":
        raw = data.draw(st.text(string.printable, max_size=30) | st.text(max_size=30) | st.integers().map(str), label="raw")
        assume(not _query_valid(param["schema"], raw))
        query[param["name"]] = raw
    elif where == "path":
        raw = data.draw(st.text(max_size=80), label="raw")
        assume(errors(param["schema"], raw) and raw not in (".", ".."))  # dot segments are the client's to resolve
        path_values[param["name"]] = raw
    else:
        kind = data.draw(st.sampled_from(["json", "bytes", "media"]), label="kind")
        if kind == "json":
            body = data.draw(_invalid_body(_body_schema(op)), label="body")
            assume(errors(_body_schema(op), body))
            content, headers = json.dumps(body).encode("utf-8"), {**headers, **JSON_CT}
        elif kind == "bytes":
            content = data.draw(st.binary(min_size=1, max_size=200), label="raw")
            try:
                json.loads(content)
                assume(False)
            except ValueError:
                pass
            headers.update(JSON_CT)
        else:  # a valid body sent without its media type, or with another one
            content = json.dumps(data.draw(values(_body_schema(op)))).encode("utf-8")
            media = data.draw(st.sampled_from([None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]))
            if media is not None:
                headers["Content-Type"] = media
    response = client.request(method, _url(path, path_values), params=query, content=content, headers=headers)
    check_answer(op, response, valid=False)


@pytest.mark.parametrize("path", list(DOC["paths"]))
def test_undeclared_methods_answer_405_with_allow(world, path: str) -> None:
    client, real_ids = world
    declared = sorted(m.upper() for m in DOC["paths"][path] if m.upper() in HTTP_METHODS)
    url = _url(path, {"session_id": real_ids[0], "role": "reference"})
    for method in HTTP_METHODS:
        if method in declared:
            continue
        response = client.request(method, url, headers=AUTH)
        assert response.status_code == 405, (method, url, response.status_code)
        assert response.headers["allow"] == ", ".join(declared)
        if method != "HEAD":
            assert response.json()["Error"]["Code"] == "MethodNotAllowed"


def test_the_generator_and_validator_agree_with_known_cases() -> None:
    """The fuzzer's judge must itself be right, or the fuzz tests prove nothing."""
    create = DOC["paths"]["/v1/sessions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert not errors(create, {"Settings": {"AuditImagesLimit": 2.0, "CustomerReference": "ok"}})
    assert errors(create, None) and errors(create, {"Settings": None}) and errors(create, {"Extra": 1})
    assert errors(create, {"Settings": {"AuditImagesLimit": True}})
    assert errors(create, {"Settings": {"CustomerReference": "a\nb"}})
    since = next(p for p in DOC["paths"]["/v1/sessions"]["get"]["parameters"] if p["name"] == "since")["schema"]
    for good in ("1735689600", "-5.25", "2025-01-31", "2025-01-31T12:00:00Z", "2025-01-31t12:00:00.123456789-05:30"):
        assert _query_valid(since, good), good
    for bad in ("2025-02-30", "2025-01-31T12:00:00", "tomorrow", "2025-01-31T24:00:00Z", "1e5", ""):
        assert not _query_valid(since, bad), bad
    limit = next(p for p in DOC["paths"]["/v1/sessions"]["get"]["parameters"] if p["name"] == "limit")["schema"]
    assert _query_valid(limit, "500") and not _query_valid(limit, "501") and not _query_valid(limit, "+5")


# --- robustness beyond the contract: whatever arrives, a JSON answer and never a 500 ---------------------

ROBUST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _no_crash(response: Any, method: str = "POST") -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and method != "HEAD":
        body = response.json()
        assert isinstance(body["Error"]["Code"], str) and body["Error"]["Message"]


@ROBUST
@given(raw=st.binary(max_size=3000) | st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_create_with_arbitrary_bytes(world, raw: bytes) -> None:
    client, _ = world
    _no_crash(client.post("/v1/sessions", content=raw, headers={**AUTH, **JSON_CT}))


path_text = st.text(alphabet=string.printable + "éß☃\u0000", max_size=80)


@ROBUST
@given(
    method=st.sampled_from(HTTP_METHODS),
    template=st.sampled_from(["/v1/sessions/{}", "/v1/sessions/{}/start", "/v1/sessions/{}/results", "/v1/sessions/{}/images/{}", "/v1/{}", "/{}", "/v1/sessions"]),
    parts=st.lists(path_text, min_size=2, max_size=2),
    query=st.dictionaries(st.sampled_from(["images", "status", "limit", "offset", "since", "until", "customer_ref", "x"]), path_text, max_size=4),
)
def test_any_method_path_and_query(world, method: str, template: str, parts: list[str], query: dict[str, str]) -> None:
    client, _ = world
    path = template.format(quote(parts[0], safe=""), quote(parts[1], safe=""))
    _no_crash(client.request(method, path, params=query, headers=AUTH), method)


@ROBUST
@given(headers=st.dictionaries(st.sampled_from(["Authorization", "Content-Length", "Content-Type", "Host"]), st.text(alphabet=string.printable, max_size=60), max_size=3))
def test_odd_headers(world, headers: dict[str, str]) -> None:
    client, _ = world
    try:
        r = client.post("/v1/sessions", content=b"{}", headers={k: v.replace("\n", "").replace("\r", "") for k, v in headers.items()})
    except Exception as exc:  # the client itself may refuse a header it cannot send; that is not the server
        if type(exc).__name__ in ("LocalProtocolError", "InvalidHeader", "ValueError"):
            return
        raise
    _no_crash(r)


def test_server_is_still_healthy_after_fuzzing(world) -> None:
    client, real_ids = world
    assert client.get("/v1/health").json()["Status"] == "ok"
    assert client.get(f"/v1/sessions/{real_ids[0]}/results", headers=AUTH).json()["Status"] == "SUCCEEDED"
