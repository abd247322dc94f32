"""The local integration API as a Starlette application.

Endpoints mirror the reference service's shapes (``SessionId``, ``Status``,
``Confidence``, ``ReferenceImage``/``AuditImages``, ``Challenge``) and add
Livegate's ``Decision``/``Checks``/``Reasons``; see ``docs/api.md`` and the
OpenAPI document (``/openapi.json``).

Robustness rules: the Host header must name this server (a page using DNS
rebinding sends its own name); every request body is limited to ``MAX_BODY``
bytes and refused with 413 as soon as the limit is known to be exceeded (from
``Content-Length`` before reading, or while streaming), must be
``application/json`` and must arrive within the body timeout; an undeclared
method on a known path is 405 with ``Allow``; every error is JSON with a code and
a message; no input reaches a 500. Connection-level defences (timeouts before
the request head, bounds per client) are in ``guard.py``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import hmac
import ipaddress
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.core import defaults
from app.core.api.errors import ApiProblem, bad_request
from app.core.challenge import ASSURANCE, CHALLENGE_VERSION
from app.core.sessions.clock import iso_utc, parse_time
from app.core.sessions.errors import LockedOut, NoKioskAttached, PinRejected, SessionExpired, SessionNotFound, SessionStateError
from app.core.sessions.model import EXPIRED, STATUSES, Session, SessionSettings, check_reference
from app.core.sessions.service import SessionService
from app.core.settings import CHALLENGE_TYPES
from app.core.store.crypto import IntegrityError

log = logging.getLogger(__name__)

#: Largest request body accepted (bytes).
MAX_BODY = 64 * 1024
#: Paths served without a token (they hold no session data).
PUBLIC_PATHS = frozenset({"/v1/health", "/openapi.json"})
#: Largest page of the session list.
MAX_PAGE = 500
IMAGE_MODES = ("bytes", "reference", "none")
IMAGE_ROLES = ("reference", "audit-0", "audit-1", "audit-2", "audit-3")
#: Seconds a request body may take to arrive (the server passes its own limit).
BODY_TIMEOUT_S = 20.0
_SETTINGS_FIELDS = ("AuditImagesLimit", "ChallengePreferences", "Threshold", "KeepRecording", "OperatorReference", "CustomerReference")


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def problem_response(problem: ApiProblem, *, close: bool = False) -> JSONResponse:
    """The JSON response of a problem; ``close`` ends the connection (the body may be unread)."""
    headers = dict(problem.headers)
    if problem.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="livegate"'
    if close or problem.status in (408, 413):
        headers["Connection"] = "close"
    return _json(problem.body(), problem.status, headers or None)


# --- middleware -------------------------------------------------------------------------


class HostPolicy:
    """Which ``Host`` header values name this server (the DNS-rebinding defence).

    A browser page whose own name resolves to 127.0.0.1 sends that name as ``Host``; only the
    loopback names and the bound address, with the server's port, are accepted. A server bound
    to an unspecified address (``0.0.0.0``/``::``, only with ``--allow-remote``) accepts any IP
    literal with its port: rebinding needs a DNS name.

    Parameters
    ----------
    bind_host:
        The bound address (an IP literal, or a name used verbatim).
    port:
        The bound port.
    """

    def __init__(self, bind_host: str, port: int) -> None:
        self.port = int(port)
        bare = bind_host.strip().strip("[]").lower()
        self.names = {"127.0.0.1", "localhost", "[::1]"}
        self.any_ip = False
        try:
            address = ipaddress.ip_address(bare)
        except ValueError:
            self.names.add(bare)
        else:
            self.names.add(f"[{address}]" if address.version == 6 else str(address))
            self.any_ip = address.is_unspecified
        shown = "127.0.0.1" if self.any_ip or bare in ("localhost", "127.0.0.1") else (f"[{bare}]" if ":" in bare else bare)
        #: A URL that the policy accepts, for messages.
        self.example = f"http://{shown}:{self.port}"

    def allows(self, host: str) -> bool:
        """Whether ``host`` (the header's value) names this server."""
        value = host.strip().lower()
        if value.startswith("["):
            name, _, rest = value.partition("]")
            name += "]"
            port_text = rest[1:] if rest.startswith(":") else None
            if rest and port_text is None:
                return False
        else:
            name, sep, port_text_raw = value.partition(":")
            port_text = port_text_raw if sep else None
        if port_text is None:
            port = 80
        elif port_text.isascii() and port_text.isdigit() and len(port_text) <= 5:
            port = int(port_text)
        else:
            return False
        if port != self.port:
            return False
        if name in self.names:
            return True
        if self.any_ip:
            try:
                address = ipaddress.ip_address(name.strip("[]"))
            except ValueError:
                return False
            return (address.version == 6) == name.startswith("[")
        return False


class GuardMiddleware:
    """Host check, body-size limit, body deadline and bearer-token check, before any routing.

    Parameters
    ----------
    app:
        The wrapped application.
    token:
        The bearer token every non-public path requires.
    max_body:
        Largest request body in bytes.
    hosts:
        Accepted ``Host`` values; default: derived from the ASGI scope's ``server`` (the socket's
        own address, never from the request).
    body_timeout_s:
        Seconds a request body may take to arrive completely (408 after that).
    aws:
        The service-protocol application (``app.core.api.aws``) served at ``/``; it checks its
        own Signature Version 4 instead of the bearer token.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        max_body: int = MAX_BODY,
        hosts: HostPolicy | None = None,
        body_timeout_s: float = BODY_TIMEOUT_S,
        aws: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.aws = aws
        self._token = token.encode("utf-8")
        self.max_body = max_body
        self.hosts = hosts
        self.body_timeout_s = body_timeout_s

    def _host_policy(self, scope: Scope) -> HostPolicy | None:
        if self.hosts is not None:
            return self.hosts
        server = scope.get("server")
        if not server or server[1] is None:
            return None  # a Unix socket: no Host to check against
        return HostPolicy(str(server[0]), int(server[1]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        policy = self._host_policy(scope)
        host = headers.get(b"host", b"").decode("latin-1")
        if policy is not None and not policy.allows(host):
            shown = host if len(host) <= 60 else host[:57] + "..."
            problem = ApiProblem(421, "MisdirectedRequest", f"the Host header {shown!r} does not name this server; use {policy.example}")
            await problem_response(problem, close=True)(scope, receive, send)
            return
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
                if declared < 0:
                    raise ValueError
            except ValueError:
                await problem_response(bad_request("Content-Length is not a whole number", code="InvalidRequest"))(scope, receive, send)
                return
            if declared > self.max_body:
                await problem_response(self.too_large(), close=True)(scope, receive, send)
                return
        if self.aws is not None and scope.get("path") == "/":
            await self.aws(scope, self._with_deadline(receive), send)
            return
        if scope.get("path") not in PUBLIC_PATHS and not self._authorised(headers.get(b"authorization")):
            problem = ApiProblem(401, "Unauthorized", "a valid bearer token is required: send 'Authorization: Bearer <token>' (see `livegate token`)")
            await problem_response(problem)(scope, receive, send)
            return
        if (length is not None and length.strip() != b"0") or b"transfer-encoding" in headers:
            receive = self._with_deadline(receive)
        await self.app(scope, receive, send)

    def _with_deadline(self, receive: Receive) -> Receive:
        """``receive`` that fails with a 408 problem once the body is late (a slow trickle holds a worker)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        done = False

        async def timed() -> Any:
            nonlocal done
            if done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
            except asyncio.TimeoutError:
                raise ApiProblem(408, "RequestTimeout", f"the request body did not arrive within {self.body_timeout_s:g} s") from None
            if message.get("type") != "http.request" or not message.get("more_body", False):
                done = True
            return message

        return timed

    def too_large(self) -> ApiProblem:
        """The 413 problem."""
        return ApiProblem(413, "PayloadTooLarge", f"the request body is larger than {self.max_body} bytes")

    def _authorised(self, header: bytes | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(value.strip(), self._token)


# --- request helpers --------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _NoBody:
    """The type of ``NO_BODY``."""

    def __repr__(self) -> str:
        return "NO_BODY"


#: What ``read_json`` returns for an empty body (distinct from a JSON ``null``).
NO_BODY: Any = _NoBody()


def _check_content_type(raw: str) -> None:
    media, _, params = raw.partition(";")
    media = media.strip().lower()
    if not media:
        raise ApiProblem(415, "UnsupportedMediaType", "a request body needs 'Content-Type: application/json'")
    if media != "application/json":
        raise ApiProblem(415, "UnsupportedMediaType", f"the body must be application/json, not {media[:60]}")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ApiProblem(415, "UnsupportedMediaType", f"the body must be UTF-8 JSON, not charset {value.strip()[:40]}")


async def read_json(request: Request, *, max_body: int = MAX_BODY) -> Any:
    """The request body parsed as JSON (``NO_BODY`` when empty), read with the size limit.

    Raises
    ------
    ApiProblem
        413 beyond ``max_body``; 415 for a missing or non-JSON content type; 400 for malformed JSON.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise ApiProblem(413, "PayloadTooLarge", f"the request body is larger than {max_body} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise bad_request("the client disconnected while sending the body", code="InvalidRequest") from exc
    raw = b"".join(chunks)
    if not raw:
        return NO_BODY
    _check_content_type(request.headers.get("content-type", ""))
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise bad_request("the body is not UTF-8 text", code="InvalidRequest") from exc
    except RecursionError as exc:
        raise bad_request("the JSON body is nested too deeply", code="InvalidRequest") from exc
    except ValueError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}", code="InvalidRequest") from exc


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    params = request.query_params
    unknown = sorted(set(params.keys()) - set(allowed))
    if unknown:
        raise bad_request(f"unknown query parameter {unknown[0]!r}; allowed: {', '.join(allowed) or 'none'}")
    return {k: params[k] for k in params.keys()}


_INT_RE = re.compile(r"-?[0-9]{1,30}")


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    # Decimal digits only (int() would also take "+5", " 5" and "5_0", which the contract does not allow).
    if _INT_RE.fullmatch(raw) is None:
        raise bad_request(f"query parameter {name} must be a whole number from {low} to {high}; got {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise bad_request(f"query parameter {name} must be from {low} to {high}; got {value}")
    return value


#: The forms ``since``/``until`` take (as in docs/openapi.json): POSIX seconds, an RFC 3339
#: full-date, or an RFC 3339 date-time with its zone.
POSIX_TIME_PATTERN = r"^-?[0-9]{1,11}(\.[0-9]{1,9})?$"
_POSIX_RE = re.compile(POSIX_TIME_PATTERN)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def parse_query_time(raw: str) -> float:
    """POSIX seconds from ``raw`` in one of the contract's forms.

    Raises
    ------
    ValueError
        For any other text, or a date that does not exist.
    """
    if _POSIX_RE.fullmatch(raw) is None and _DATE_RE.fullmatch(raw) is None and _DATETIME_RE.fullmatch(raw) is None:
        raise ValueError("expected POSIX seconds, an RFC 3339 date (2025-01-31) or date-time with zone (2025-01-31T12:00:00Z)")
    text = raw
    fraction = re.search(r"\.([0-9]+)", raw) if "T" in raw.upper() else None
    if fraction is not None and len(fraction.group(1)) > 6:  # Python's parser stops at microseconds
        text = raw[: fraction.start(1) + 6] + raw[fraction.end(1) :]
    return parse_time(text)


def _time_param(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_query_time(raw)
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"query parameter {name}: {exc}"[:300]) from exc


def parse_create_request(body: Any, service: SessionService) -> SessionSettings:
    """Validate a create-session body (reference-service shape plus Livegate fields).

    Raises
    ------
    ApiProblem
        400 naming the first bad or unknown field.
    """
    if body is NO_BODY:
        body = {}
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object; got {_json_type(body)}")
    for key in body:
        if key != "Settings":
            raise bad_request(f"unknown field {key[:60]!r}; the body has only 'Settings'")
    settings = body.get("Settings", {})
    if not isinstance(settings, dict):
        raise bad_request(f"Settings must be an object; got {_json_type(settings)}")
    for key in settings:
        if key not in _SETTINGS_FIELDS:
            raise bad_request(f"unknown field Settings.{key[:60]}; allowed: {', '.join(_SETTINGS_FIELDS)}")
    overrides: dict[str, Any] = {}
    if "AuditImagesLimit" in settings:
        value = settings["AuditImagesLimit"]
        # JSON has one number type: 2.0 is the integer 2 (as JSON Schema's "integer" says).
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not defaults.valid_audit_images(value):
            raise bad_request(f"Settings.AuditImagesLimit must be a whole number from 0 to 4; got {_show(value)}")
        overrides["audit_images"] = value
    if "ChallengePreferences" in settings:
        overrides["challenge"] = _challenge_preference(settings["ChallengePreferences"])
    if "Threshold" in settings:
        value = settings["Threshold"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not defaults.valid_threshold(value):
            raise bad_request(f"Settings.Threshold must be a number from 0 to 100; got {_show(value)}")
        overrides["threshold"] = float(value)
    if "KeepRecording" in settings:
        value = settings["KeepRecording"]
        if not isinstance(value, bool):
            raise bad_request(f"Settings.KeepRecording must be true or false; got {_show(value)}")
        overrides["keep_recording"] = value
    for field, attr in (("OperatorReference", "operator_ref"), ("CustomerReference", "customer_ref")):
        if field in settings:
            overrides[attr] = _reference(f"Settings.{field}", settings[field])
    try:
        return SessionSettings.from_settings(service.settings, **overrides)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc


def _reference(name: str, value: Any) -> str:
    """A reference checked as the contract says: text, at most 200 characters, no control characters
    and no lone surrogates (which JSON can escape but UTF-8 cannot store)."""
    try:
        text = check_reference(name, value)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    if _SURROGATE_RE.search(text):
        raise bad_request(f"{name} must not contain lone surrogate code points")
    return text


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _challenge_preference(value: Any) -> str:
    if not isinstance(value, list) or not 1 <= len(value) <= len(CHALLENGE_TYPES):
        raise bad_request(f"Settings.ChallengePreferences must be a list of 1 to {len(CHALLENGE_TYPES)} objects")
    for i, pref in enumerate(value):
        if not isinstance(pref, dict):
            raise bad_request(f"Settings.ChallengePreferences[{i}] must be an object with a Type")
        for key in pref:
            if key not in ("Type", "Versions"):
                raise bad_request(f"unknown field Settings.ChallengePreferences[{i}].{key[:60]}; allowed: Type, Versions")
        if pref.get("Type") not in CHALLENGE_TYPES:
            raise bad_request(f"Settings.ChallengePreferences[{i}].Type must be one of {', '.join(CHALLENGE_TYPES)}; got {_show(pref.get('Type'))}")
        versions = pref.get("Versions", {})
        if not isinstance(versions, dict) or any(k not in ("Minimum", "Maximum") or not isinstance(v, str) for k, v in versions.items()):
            raise bad_request(f"Settings.ChallengePreferences[{i}].Versions must be an object with text Minimum/Maximum")
    return str(value[0]["Type"])


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (bool, int, float, str, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


# --- responses ------------------------------------------------------------------------


def results_body(service: SessionService, session: Session, images: str) -> dict[str, Any]:
    """The get-results body of a session; image payloads per ``images`` (bytes/reference/none)."""
    if session.result is None:
        return {
            "SessionId": session.id,
            "Status": session.status,
            "Reason": session.reason or None,
            "Challenge": {"Type": session.settings.challenge, "Version": CHALLENGE_VERSION,
                          "Assurance": ASSURANCE.get(session.settings.challenge, "standard")},
            "CustomerReference": session.settings.customer_ref,
        }
    body = copy.deepcopy(session.result)
    entries: list[tuple[str, dict[str, Any]]] = []
    if isinstance(body.get("ReferenceImage"), dict):
        entries.append(("reference", body["ReferenceImage"]))
    for i, entry in enumerate(body.get("AuditImages") or []):
        if isinstance(entry, dict):
            entries.append((f"audit-{i}", entry))
    for role, entry in entries:
        if session.file(role) is None or images == "none":
            continue
        if images == "bytes":
            entry["Bytes"] = base64.b64encode(service.image(session.id, role)).decode("ascii")
        else:
            entry["Location"] = {"Url": f"/v1/sessions/{session.id}/images/{role}", "MediaType": "image/jpeg"}
    return body


#: A well-formed session id (as ``session_id`` in docs/openapi.json).
SESSION_ID_PATTERN = "^[A-Za-z0-9_-]{16,64}$"
_SESSION_ID_RE = re.compile(SESSION_ID_PATTERN)


def _not_found_message(exc: SessionNotFound, session_id: str) -> str:
    # Never echo an arbitrary id: a 100 KB path segment would come back in the body.
    if session_id and _SESSION_ID_RE.fullmatch(session_id) is None:
        return f"no session has the id given ({len(session_id)} characters; an id is 16 to 64 of A-Z, a-z, 0-9, '_' and '-')"
    return str(exc)[:300]


def _map_error(exc: Exception, session_id: str = "") -> ApiProblem:
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, SessionNotFound):
        return ApiProblem(404, "SessionNotFound", _not_found_message(exc, session_id))
    if isinstance(exc, SessionExpired):
        return ApiProblem(410, "SessionExpired", str(exc), extra={"Status": EXPIRED})
    if isinstance(exc, SessionStateError):
        return ApiProblem(409, "SessionConflict", str(exc))
    if isinstance(exc, LockedOut):
        return ApiProblem(423, "LockedOut", str(exc), extra={"LockedUntil": iso_utc(exc.until)})
    if isinstance(exc, NoKioskAttached):
        return ApiProblem(503, "NoKioskAttached", str(exc))
    if isinstance(exc, PinRejected):
        return ApiProblem(403, "PinRejected", str(exc))
    if isinstance(exc, IntegrityError):
        log.error("integrity check failed: %s", exc)
        return ApiProblem(500, "IntegrityError", f"stored data failed its integrity check: {exc}")
    log.exception("internal error in the API", exc_info=exc)
    return ApiProblem(500, "InternalError", "internal error; see the Livegate log")


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(func: Callable[[Request, SessionService], Awaitable[Response]]) -> Callable[[SessionService], Handler]:
    """Bind a handler to the service and turn every exception into a JSON problem response."""

    def bind(service: SessionService) -> Handler:
        @functools.wraps(func)
        async def handler(request: Request) -> Response:
            try:
                return await func(request, service)
            except Exception as exc:  # every failure becomes a JSON answer; the server stays up
                return problem_response(_map_error(exc, str(request.path_params.get("session_id", ""))))

        return handler

    return bind


# --- endpoints ----------------------------------------------------------------------------


@endpoint
async def health(request: Request, service: SessionService) -> Response:
    return _json({"Status": "ok", "Version": __version__})


@endpoint
async def create_session(request: Request, service: SessionService) -> Response:
    _query(request, ())
    settings = parse_create_request(await read_json(request), service)
    try:
        session = await run_in_threadpool(service.create, settings)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    return _json({"SessionId": session.id}, 201, {"Location": f"/v1/sessions/{session.id}"})


def _session_id(request: Request) -> str:
    return str(request.path_params.get("session_id", ""))


@endpoint
async def start_session(request: Request, service: SessionService) -> Response:
    _query(request, ())
    body = await read_json(request)
    if body is not NO_BODY and body != {}:
        raise bad_request("start takes no settings: send no body (or an empty JSON object)")
    session = await run_in_threadpool(service.start, _session_id(request))
    return _json({"SessionId": session.id, "Status": session.status}, 202)


@endpoint
async def get_results(request: Request, service: SessionService) -> Response:
    params = _query(request, ("images",))
    images = params.get("images", "bytes")
    if images not in IMAGE_MODES:
        raise bad_request(f"query parameter images must be one of {', '.join(IMAGE_MODES)}; got {images[:40]!r}")
    session = await run_in_threadpool(service.get, _session_id(request))
    if session.status == EXPIRED:
        raise ApiProblem(
            410,
            "SessionExpired",
            f"session {session.id} expired at {iso_utc(session.expires_at)} without being started",
            extra={"SessionId": session.id, "Status": EXPIRED},
        )
    body = await run_in_threadpool(results_body, service, session, images)
    return _json(body)


@endpoint
async def get_image(request: Request, service: SessionService) -> Response:
    _query(request, ())
    role = str(request.path_params.get("role", ""))
    if role not in IMAGE_ROLES:
        raise ApiProblem(404, "ImageNotFound", f"unknown image {role[:40]!r}; images are {', '.join(IMAGE_ROLES)}")
    data = await run_in_threadpool(service.image, _session_id(request), role)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@endpoint
async def list_sessions(request: Request, service: SessionService) -> Response:
    params = _query(request, ("status", "customer_ref", "since", "until", "limit", "offset"))
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise bad_request(f"query parameter status must be one of {', '.join(STATUSES)}; got {status[:40]!r}")
    customer = params.get("customer_ref")
    if customer is not None:
        _reference("query parameter customer_ref", customer)
    limit = _int_param(params, "limit", 100, 1, MAX_PAGE)
    offset = _int_param(params, "offset", 0, 0, 10**9)
    since, until = _time_param(params, "since"), _time_param(params, "until")
    found = await run_in_threadpool(
        functools.partial(service.search, status=status, customer_ref=customer, since=since, until=until, limit=limit + 1, offset=offset)
    )
    more = len(found) > limit
    return _json({"Sessions": [s.summary() for s in found[:limit]], "NextOffset": offset + limit if more else None})


@endpoint
async def delete_session(request: Request, service: SessionService) -> Response:
    _query(request, ())
    await run_in_threadpool(service.delete, _session_id(request))
    return Response(status_code=204)


@endpoint
async def lockout(request: Request, service: SessionService) -> Response:
    _query(request, ())
    status = await run_in_threadpool(service.lockout_status)
    return _json({"Locked": status.locked, "LockedUntil": iso_utc(status.until), "Message": status.message or None})


async def _openapi(request: Request) -> Response:
    from app.core.api.openapi import openapi_document

    return _json(openapi_document())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "NotFound", 405: "MethodNotAllowed"}
    path = request.url.path
    shown = path if len(path) <= 100 else path[:97] + "..."
    message = {404: f"no endpoint at {shown}; see /openapi.json", 405: f"{request.method[:20]} is not allowed here"}
    problem = ApiProblem(exc.status_code, codes.get(exc.status_code, "HttpError"), message.get(exc.status_code, str(exc.detail)))
    return problem_response(problem)


class MethodTable:
    """One path's handlers by method; any other method is 405 with ``Allow`` (the contract's methods only).

    Starlette's own routing would add HEAD to every GET and, with two routes on one path, name only
    the first route's methods in ``Allow``. An ASGI class (not a function) so that Starlette passes
    every method through to it.
    """

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers = dict(handlers)
        self.allow = ", ".join(sorted(self.handlers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.handlers.get(request.method)
        if handler is None:
            message = f"{request.method[:20]} is not allowed here; allowed: {self.allow}"
            response: Response = problem_response(ApiProblem(405, "MethodNotAllowed", message, headers={"Allow": self.allow}))
        else:
            response = await handler(request)
        await response(scope, receive, send)


def create_app(
    service: SessionService,
    *,
    token: str,
    max_body: int = MAX_BODY,
    hosts: HostPolicy | None = None,
    body_timeout_s: float = BODY_TIMEOUT_S,
    aws: ASGIApp | None = None,
) -> ASGIApp:
    """The API application: routes wrapped in the host/size/token guard.

    Parameters
    ----------
    service:
        The session service the API drives (shared with the GUI).
    token:
        Bearer token required on every path except ``PUBLIC_PATHS``.
    max_body:
        Largest request body in bytes.
    hosts:
        Accepted ``Host`` values (``ApiServer`` passes its bound address and port); default: the
        ASGI scope's ``server``.
    body_timeout_s:
        Seconds a request body may take to arrive.
    aws:
        The service-protocol surface for ``POST /`` (``AwsSurface``), or None to leave it out.
    """
    if not token or len(token) < 16:
        raise ValueError("the API token must be at least 16 characters")

    async def openapi_endpoint(request: Request) -> Response:
        return await _openapi(request)

    table: dict[str, dict[str, Handler]] = {
        "/v1/health": {"GET": health(service)},
        "/openapi.json": {"GET": openapi_endpoint},
        "/v1/sessions": {"POST": create_session(service), "GET": list_sessions(service)},
        "/v1/sessions/{session_id}": {"DELETE": delete_session(service)},
        "/v1/sessions/{session_id}/start": {"POST": start_session(service)},
        "/v1/sessions/{session_id}/results": {"GET": get_results(service)},
        "/v1/sessions/{session_id}/images/{role}": {"GET": get_image(service)},
        "/v1/lockout": {"GET": lockout(service)},
    }
    routes = [Route(path, MethodTable(handlers)) for path, handlers in table.items()]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.router.redirect_slashes = False  # "/v1/sessions/" is not in the contract: 404, not a redirect
    return GuardMiddleware(app, token=token, max_body=max_body, hosts=hosts, body_timeout_s=body_timeout_s, aws=aws)
