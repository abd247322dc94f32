"""The local integration API as a Starlette application.

Endpoints mirror the reference service's shapes (``SessionId``, ``Status``,
``Confidence``, ``ReferenceImage``/``AuditImages``, ``Challenge``) and add
Livegate's ``Decision``/``Checks``/``Reasons``; see ``docs/api.md`` and the
OpenAPI document (``/openapi.json``).

Robustness rules: every request body is limited to ``MAX_BODY`` bytes and
refused with 413 as soon as the limit is known to be exceeded (from
``Content-Length`` before reading, or while streaming); every error is JSON
with a code and a message; no input reaches a 500.
"""

from __future__ import annotations

import base64
import copy
import functools
import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable
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
from app.core.challenge import CHALLENGE_VERSION
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
_SETTINGS_FIELDS = ("AuditImagesLimit", "ChallengePreferences", "Threshold", "KeepRecording", "OperatorReference", "CustomerReference")


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def problem_response(problem: ApiProblem) -> JSONResponse:
    """The JSON response of a problem."""
    headers = {"WWW-Authenticate": 'Bearer realm="livegate"'} if problem.status == 401 else None
    return _json(problem.body(), problem.status, headers)


# --- middleware -------------------------------------------------------------------------


class GuardMiddleware:
    """Body-size limit and bearer-token check, before any routing or body reading.

    Parameters
    ----------
    app:
        The wrapped application.
    token:
        The bearer token every non-public path requires.
    max_body:
        Largest request body in bytes.
    """

    def __init__(self, app: ASGIApp, *, token: str, max_body: int = MAX_BODY) -> None:
        self.app = app
        self._token = token.encode("utf-8")
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
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
                await problem_response(self.too_large())(scope, receive, send)
                return
        if scope.get("path") not in PUBLIC_PATHS and not self._authorised(headers.get(b"authorization")):
            problem = ApiProblem(401, "Unauthorized", "a valid bearer token is required: send 'Authorization: Bearer <token>' (see `livegate token`)")
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)

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


async def read_json(request: Request, *, max_body: int = MAX_BODY) -> Any:
    """The request body parsed as JSON (``None`` when empty), read with the size limit.

    Raises
    ------
    ApiProblem
        413 beyond ``max_body``; 415 for a non-JSON content type; 400 for malformed JSON.
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
    if not raw.strip():
        return None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiProblem(415, "UnsupportedMediaType", f"the body must be application/json, not {ctype}")
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


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"query parameter {name} must be a whole number from {low} to {high}; got {raw[:40]!r}") from exc
    if not low <= value <= high:
        raise bad_request(f"query parameter {name} must be from {low} to {high}; got {value}")
    return value


def _time_param(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw)
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"query parameter {name}: {exc}"[:300]) from exc


def parse_create_request(body: Any, service: SessionService) -> SessionSettings:
    """Validate a create-session body (reference-service shape plus Livegate fields).

    Raises
    ------
    ApiProblem
        400 naming the first bad or unknown field.
    """
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object; got {type(body).__name__}")
    for key in body:
        if key != "Settings":
            raise bad_request(f"unknown field {key!r}; the body has only 'Settings'")
    settings = body.get("Settings", {})
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise bad_request(f"Settings must be an object; got {type(settings).__name__}")
    for key in settings:
        if key not in _SETTINGS_FIELDS:
            raise bad_request(f"unknown field Settings.{key[:60]}; allowed: {', '.join(_SETTINGS_FIELDS)}")
    overrides: dict[str, Any] = {}
    if "AuditImagesLimit" in settings:
        value = settings["AuditImagesLimit"]
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
            try:
                overrides[attr] = check_reference(f"Settings.{field}", settings[field])
            except ValueError as exc:
                raise bad_request(str(exc)) from exc
    try:
        return SessionSettings.from_settings(service.settings, **overrides)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc


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
            "Challenge": {"Type": session.settings.challenge, "Version": CHALLENGE_VERSION},
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


def _map_error(exc: Exception) -> ApiProblem:
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, SessionNotFound):
        return ApiProblem(404, "SessionNotFound", str(exc))
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
                return problem_response(_map_error(exc))

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
    await read_json(request)  # a body is not expected, but it must respect the limits
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
        try:
            check_reference("customer_ref", customer)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
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
    message = {404: f"no endpoint at {request.url.path[:100]}; see /openapi.json", 405: f"{request.method} is not allowed here"}
    return problem_response(ApiProblem(exc.status_code, codes.get(exc.status_code, "HttpError"), message.get(exc.status_code, str(exc.detail))))


def create_app(service: SessionService, *, token: str, max_body: int = MAX_BODY) -> ASGIApp:
    """The API application: routes wrapped in the size/token guard.

    Parameters
    ----------
    service:
        The session service the API drives (shared with the GUI).
    token:
        Bearer token required on every path except ``PUBLIC_PATHS``.
    max_body:
        Largest request body in bytes.
    """
    if not token or len(token) < 16:
        raise ValueError("the API token must be at least 16 characters")
    routes = [
        Route("/v1/health", health(service), methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
        Route("/v1/sessions", create_session(service), methods=["POST"]),
        Route("/v1/sessions", list_sessions(service), methods=["GET"]),
        Route("/v1/sessions/{session_id}", delete_session(service), methods=["DELETE"]),
        Route("/v1/sessions/{session_id}/start", start_session(service), methods=["POST"]),
        Route("/v1/sessions/{session_id}/results", get_results(service), methods=["GET"]),
        Route("/v1/sessions/{session_id}/images/{role}", get_image(service), methods=["GET"]),
        Route("/v1/lockout", lockout(service), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return GuardMiddleware(app, token=token, max_body=max_body)
