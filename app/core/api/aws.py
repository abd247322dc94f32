"""The cloud service's own wire protocol on the local API: ``CreateFaceLivenessSession`` and
``GetFaceLivenessSessionResults`` over JSON 1.1 with Signature Version 4 (see ``docs/migrating.md``).

An integrator's existing SDK code changes only its ``endpoint_url`` and keys. Requests are
``POST /`` with ``X-Amz-Target: RekognitionService.<Operation>`` and an
``application/x-amz-json-1.1`` body; answers and errors have the service's shapes (errors carry
``__type``, so the SDK raises the same exception classes). Field names follow the service model
that botocore ships.

Sessions created here are ordinary Livegate sessions (the id is a lowercase UUID): the kiosk
starts and runs them through ``SessionService.start`` like any other, and their stored result is
the same signed document the ``/v1`` API returns. What this surface adds is kept in a small
database beside the store (``aws.sqlite3``): the output bucket of a session, where its images
were delivered, and the idempotency tokens.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from app.core.api.errors import ApiProblem
from app.core.api.sigv4 import SigV4Error, SigV4Verifier
from app.core.challenge import CHALLENGE_VERSION
from app.core.errors import ConfigError, LivegateError
from app.core.sessions.clock import iso_utc
from app.core.sessions.errors import LockedOut, SessionNotFound
from app.core.sessions.model import CREATED, ERROR, EXPIRED, FAILED, IN_PROGRESS, SUCCEEDED, Session, SessionSettings
from app.core.sessions.service import SessionEvent, SessionService
from app.core.store.crypto import IntegrityError

log = logging.getLogger(__name__)

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
_ACCEPTED_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")
#: Largest request body (bytes); both operations take a few hundred bytes.
MAX_BODY = 64 * 1024
#: Seconds a ClientRequestToken keeps returning the session it created.
TOKEN_VALIDITY_S = 600.0
#: Highest confidence reported for a check Livegate itself did not pass (see ``aws_confidence``).
NOT_PASSED_CAP = 5.0
INDEX_NAME = "aws.sqlite3"
SESSION_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TOKEN_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BUCKET_RE = re.compile(r"^[0-9A-Za-z._-]{3,255}$")
_VERSION_RE = re.compile(r"^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$")
_CHALLENGES = ("FaceMovementAndLightChallenge", "FaceMovementChallenge")
#: Statuses of the service; a Livegate ERROR (camera lost, cancelled, timed out) is a FAILED session there.
_STATUS = {CREATED: CREATED, IN_PROGRESS: IN_PROGRESS, SUCCEEDED: SUCCEEDED, FAILED: FAILED, EXPIRED: EXPIRED, ERROR: FAILED}
#: Error codes of the service that are server faults (5xx); the rest are the client's (400).
_FAULTS = frozenset({"InternalServerError", "ThrottlingException"})


class AwsError(Exception):
    """An answer in the service's error shape: ``{"__type": code, "Message": ...}``."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else (500 if code in _FAULTS else 400)


def invalid(message: str) -> AwsError:
    """An ``InvalidParameterException``."""
    return AwsError("InvalidParameterException", message)


# --- the side index ------------------------------------------------------------------------


class AwsIndex:
    """What this surface remembers beyond the session store: output buckets, deliveries, tokens.

    One short-lived SQLite connection per call (requests run on a thread pool).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            # Owner-only from the start (SQLite gives its journals the database file's mode).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS aws_sessions (id TEXT PRIMARY KEY, output TEXT, delivered TEXT, created_at REAL NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS aws_tokens (token TEXT PRIMARY KEY, request TEXT NOT NULL, session_id TEXT NOT NULL, created_at REAL NOT NULL)"
            )

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        try:
            yield db
        finally:
            db.close()

    def add(self, session_id: str, output: dict[str, str] | None, now: float) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO aws_sessions(id, output, delivered, created_at) VALUES (?, ?, NULL, ?)",
                (session_id, json.dumps(output) if output else None, now),
            )

    def remove(self, session_id: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM aws_sessions WHERE id = ?", (session_id,))
            db.execute("DELETE FROM aws_tokens WHERE session_id = ?", (session_id,))

    def output(self, session_id: str) -> tuple[dict[str, str] | None, dict[str, Any] | None]:
        """The session's output bucket and, once delivered, its objects by role."""
        with self._db() as db:
            row = db.execute("SELECT output, delivered FROM aws_sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None, None
        return (json.loads(row[0]) if row[0] else None), (json.loads(row[1]) if row[1] else None)

    def delivered(self, session_id: str, objects: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("UPDATE aws_sessions SET delivered = ? WHERE id = ?", (json.dumps(objects), session_id))

    def token(self, token: str, now: float) -> tuple[str, str] | None:
        """``(request fingerprint, session id)`` of a token still valid, else None."""
        with self._db() as db:
            db.execute("DELETE FROM aws_tokens WHERE created_at <= ?", (now - TOKEN_VALIDITY_S,))
            row = db.execute("SELECT request, session_id FROM aws_tokens WHERE token = ?", (token,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def add_token(self, token: str, request: str, session_id: str, now: float) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO aws_tokens(token, request, session_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(token) DO UPDATE SET request = excluded.request, session_id = excluded.session_id, created_at = excluded.created_at",
                (token, request, session_id, now),
            )


# --- request parsing -----------------------------------------------------------------------


def _kms_message() -> str:
    return (
        "KmsKeyId is not supported: Livegate does not use a key management service. The device keeps images and "
        "results encrypted with its own store key (AES-256-GCM) and signs every result; images delivered to the "
        "fleet are envelope-encrypted for head office, and the OutputConfig bucket's server-side encryption is the "
        "fleet setting s3_sse. Leave KmsKeyId out"
    )


def parse_output_config(value: Any) -> dict[str, str]:
    """``Settings.OutputConfig`` checked as the service model says."""
    if not isinstance(value, dict):
        raise invalid("Settings.OutputConfig must be an object with S3Bucket (and optionally S3KeyPrefix)")
    unknown = sorted(set(value) - {"S3Bucket", "S3KeyPrefix"})
    if unknown:
        raise invalid(f"unknown field Settings.OutputConfig.{unknown[0][:60]}; allowed: S3Bucket, S3KeyPrefix")
    bucket = value.get("S3Bucket")
    if not isinstance(bucket, str) or _BUCKET_RE.fullmatch(bucket) is None:
        raise invalid("Settings.OutputConfig.S3Bucket must be 3-255 of letters, digits, '.', '-' and '_'")
    prefix = value.get("S3KeyPrefix", "")
    if not isinstance(prefix, str) or len(prefix) > 950 or re.search(r"\s", prefix):
        raise invalid("Settings.OutputConfig.S3KeyPrefix must be text of at most 950 characters without white space")
    return {"S3Bucket": bucket, "S3KeyPrefix": prefix}


def parse_challenge_preferences(value: Any) -> str:
    """The challenge type to run: the first preference (each is checked against the model)."""
    if not isinstance(value, list) or not value:
        raise invalid("Settings.ChallengePreferences must be a non-empty list of objects with a Type")
    for i, pref in enumerate(value):
        if not isinstance(pref, dict) or pref.get("Type") not in _CHALLENGES:
            raise invalid(f"Settings.ChallengePreferences[{i}].Type must be one of {', '.join(_CHALLENGES)}")
        unknown = sorted(set(pref) - {"Type", "Versions"})
        if unknown:
            raise invalid(f"unknown field Settings.ChallengePreferences[{i}].{unknown[0][:60]}; allowed: Type, Versions")
        versions = pref.get("Versions", {})
        if not isinstance(versions, dict) or any(
            k not in ("Minimum", "Maximum") or not isinstance(v, str) or _VERSION_RE.fullmatch(v) is None for k, v in versions.items()
        ):
            raise invalid(f"Settings.ChallengePreferences[{i}].Versions must have Minimum/Maximum versions such as 1.0.0")
        low, high = versions.get("Minimum"), versions.get("Maximum")
        ours = _version_tuple(CHALLENGE_VERSION)
        if (low and _version_tuple(low) > ours) or (high and _version_tuple(high) < ours):
            raise invalid(f"Settings.ChallengePreferences[{i}] asks for versions Livegate does not run; its challenges are version {CHALLENGE_VERSION}")
    return str(value[0]["Type"])


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@dataclasses.dataclass(frozen=True)
class CreateRequest:
    """A checked ``CreateFaceLivenessSession`` request."""

    settings: SessionSettings
    output: dict[str, str] | None
    token: str | None
    fingerprint: str


def parse_create(body: Any, service: SessionService) -> CreateRequest:
    """Check a create request; every problem is an ``InvalidParameterException`` naming the field."""
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    unknown = sorted(set(body) - {"KmsKeyId", "Settings", "ClientRequestToken"})
    if unknown:
        raise invalid(f"unknown field {unknown[0][:60]}; CreateFaceLivenessSession takes KmsKeyId, Settings and ClientRequestToken")
    if "KmsKeyId" in body:
        raise invalid(_kms_message())
    token = body.get("ClientRequestToken")
    if token is not None and (not isinstance(token, str) or _TOKEN_RE.fullmatch(token) is None):
        raise invalid("ClientRequestToken must be 1-64 of letters, digits, '-' and '_'")
    settings = body.get("Settings", {})
    if not isinstance(settings, dict):
        raise invalid("Settings must be an object")
    unknown = sorted(set(settings) - {"OutputConfig", "AuditImagesLimit", "ChallengePreferences"})
    if unknown:
        raise invalid(f"unknown field Settings.{unknown[0][:60]}; allowed: OutputConfig, AuditImagesLimit, ChallengePreferences")
    overrides: dict[str, Any] = {}
    if "AuditImagesLimit" in settings:
        limit = settings["AuditImagesLimit"]
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 4:
            raise invalid("Settings.AuditImagesLimit must be a whole number from 0 to 4")
        overrides["audit_images"] = limit
    if "ChallengePreferences" in settings:
        overrides["challenge"] = parse_challenge_preferences(settings["ChallengePreferences"])
    output = parse_output_config(settings["OutputConfig"]) if "OutputConfig" in settings else None
    try:
        session_settings = SessionSettings.from_settings(service.settings, **overrides)
    except ValueError as exc:
        raise invalid(str(exc)) from exc
    request = {k: v for k, v in body.items() if k != "ClientRequestToken"}
    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode("utf-8")).hexdigest()
    return CreateRequest(session_settings, output, token, fingerprint)


# --- S3 delivery ---------------------------------------------------------------------------


_STORES: dict[str, Any] = {}
_STORES_LOCK = threading.Lock()


def _object_store(bucket: str, loader: Callable[[], Any]) -> Any:
    """A fleet ``ObjectStore`` for ``bucket`` with the fleet's endpoint, region, TLS and keys.

    Kept per bucket and fleet settings: building a boto3 client costs far more than a request.
    """
    from app.core.fleet.objects import ObjectStore

    config = dataclasses.replace(loader(), bucket=bucket)
    key = json.dumps(dataclasses.asdict(config), sort_keys=True)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = ObjectStore(config, timeout_s=5.0)
            while len(_STORES) > 32:
                _STORES.pop(next(iter(_STORES)))
        return store


def _s3_failure(what: str, bucket: str, exc: Exception) -> AwsError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "?"))
        if code in ("AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return AwsError("AccessDeniedException", f"the object store refused {what} in bucket {bucket} ({code}); check the fleet's S3 keys")
        if code in ("NoSuchBucket", "404", "NotFound"):
            return invalid(f"the bucket {bucket} does not exist in the fleet's object store")
        return AwsError("InternalServerError", f"the object store refused {what} in bucket {bucket} ({code})")
    return AwsError("InternalServerError", f"the object store cannot be reached for {what} in bucket {bucket} ({type(exc).__name__}); retry")


def image_key(prefix: str, session_id: str, role: str) -> str:
    """Object name of one image: ``<prefix>/<session>/reference.jpg`` or ``.../audit_images/<n>.jpg``."""
    base = f"{prefix}/" if prefix and not prefix.endswith("/") else prefix
    name = "reference.jpg" if role == "reference" else f"audit_images/{int(role.split('-')[1]) + 1}.jpg"
    return f"{base}{session_id}/{name}"


# --- responses -----------------------------------------------------------------------------


def aws_confidence(document: dict[str, Any]) -> float | None:
    """The ``Confidence`` reported: Livegate's, but at most ``NOT_PASSED_CAP`` when Livegate did not pass it.

    The service leaves the threshold to the integrator. Livegate's decision also weighs hard
    failures and checks that could not be made (which never count as passed), so a check it
    failed is reported low enough that no sensible threshold turns it into a pass.
    """
    value = document.get("Confidence")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    confidence = min(max(float(value), 0.0), 100.0)
    return confidence if document.get("Decision") == "pass" else min(confidence, NOT_PASSED_CAP)


def _box(entry: dict[str, Any]) -> dict[str, float] | None:
    box = entry.get("BoundingBox")
    if not isinstance(box, dict):
        return None
    return {k: float(box[k]) for k in ("Width", "Height", "Left", "Top") if isinstance(box.get(k), (int, float))}


# --- the ASGI application ------------------------------------------------------------------


class AwsSurface:
    """ASGI application serving ``POST /`` in the service's protocol.

    Parameters
    ----------
    service:
        The session service (shared with ``/v1`` and the kiosk).
    verifier:
        Checks each request's Signature Version 4.
    fleet_config:
        Returns the fleet settings whose object store receives ``OutputConfig`` images
        (default: ``app.core.fleet.config.load_config``).
    """

    def __init__(self, service: SessionService, verifier: SigV4Verifier, *, fleet_config: Callable[[], Any] | None = None) -> None:
        self.service = service
        self.verifier = verifier
        self.index = AwsIndex(Path(service.store.root) / INDEX_NAME)
        self._fleet_config = fleet_config or _load_fleet_config
        self._token_lock = threading.Lock()
        self._deliver_lock = threading.Lock()
        self._unsubscribe = service.subscribe(self._on_event)
        self.operations: dict[str, Callable[[Any], dict[str, Any]]] = {
            "CreateFaceLivenessSession": self.create_session,
            "GetFaceLivenessSessionResults": self.get_results,
        }

    def close(self) -> None:
        """Stop following session deletions."""
        self._unsubscribe()

    def _on_event(self, event: SessionEvent) -> None:
        if event.kind == "deleted" and SESSION_ID_RE.fullmatch(event.session_id):
            self.index.remove(event.session_id)

    # --- ASGI ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = str(uuid.uuid4())
        signature: str | None = None
        try:
            if scope.get("method") != "POST":
                raise AwsError("UnknownOperationException", "the service protocol is POST / with an X-Amz-Target header")
            body = await self._read_body(receive)
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
            raw_path = (scope.get("raw_path") or scope.get("path", "/").encode()).decode("latin-1")
            raw_query = scope.get("query_string", b"").decode("latin-1")
            try:
                signature = self.verifier.verify(str(scope["method"]), raw_path, raw_query, headers, body)
            except SigV4Error as exc:
                if exc.hold_s > 0:
                    await asyncio.sleep(exc.hold_s)
                raise AwsError(exc.code, exc.message, exc.status) from None
            lowered = {k.lower(): v for k, v in headers}
            target = lowered.get("x-amz-target", "")
            operation = self.operations.get(target[len(TARGET_PREFIX):]) if target.startswith(TARGET_PREFIX) else None
            if operation is None:
                raise AwsError("UnknownOperationException", f"Livegate serves {', '.join(TARGET_PREFIX + n for n in self.operations)}; not {target[:80]!r}")
            media = lowered.get("content-type", "").partition(";")[0].strip().lower()
            if media not in _ACCEPTED_TYPES:
                raise AwsError("SerializationException", f"the body must be {CONTENT_TYPE}, not {media[:60] or 'untyped'}")
            try:
                payload = json.loads(body.decode("utf-8")) if body.strip() else {}
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise AwsError("SerializationException", "the body is not valid UTF-8 JSON") from exc
            answer = await run_in_threadpool(operation, payload)
            await self._send(send, 200, answer, request_id)
        except Exception as exc:  # every failure is an answer in the service's shape; the server stays up
            error = self._map(exc)
            if signature is not None and error.status >= 500:
                # The work failed on our side: let the SDK's retry (possibly in the same second) through.
                self.verifier.forget(signature)
            await self._send(send, error.status, {"__type": error.code, "Code": error.code, "Message": error.message}, request_id)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise AwsError("SerializationException", "the client disconnected while sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise AwsError("SerializationException", f"the request body is larger than {MAX_BODY} bytes", 413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _send(send: Send, status: int, body: dict[str, Any], request_id: str) -> None:
        data = json.dumps(body).encode("utf-8")
        headers = [
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", str(len(data)).encode()),
            (b"x-amzn-requestid", request_id.encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    @staticmethod
    def _map(exc: Exception) -> AwsError:
        if isinstance(exc, AwsError):
            return exc
        if isinstance(exc, ApiProblem):  # the middleware's body deadline
            return AwsError("RequestTimeout" if exc.status == 408 else "SerializationException", exc.message, exc.status)
        if isinstance(exc, SessionNotFound):
            return AwsError("SessionNotFoundException", str(exc)[:300])
        if isinstance(exc, LockedOut):
            return AwsError("ThrottlingException", f"{exc} (locked until {iso_utc(exc.until)})")
        if isinstance(exc, IntegrityError):
            log.error("integrity check failed: %s", exc)
            return AwsError("InternalServerError", f"stored data failed its integrity check: {exc}")
        if isinstance(exc, ConfigError):
            return AwsError("InternalServerError", f"the fleet settings are not usable: {exc}")
        log.exception("internal error in the service-protocol API", exc_info=exc)
        return AwsError("InternalServerError", "internal error; see the Livegate log")

    # --- operations ----------------------------------------------------------------------

    def create_session(self, body: Any) -> dict[str, Any]:
        """``CreateFaceLivenessSession``: a new CREATED session (or the token's earlier one)."""
        request = parse_create(body, self.service)
        if request.output is not None:
            self._check_bucket(request.output["S3Bucket"])
        if request.token is None:
            return {"SessionId": self._create(request)}
        with self._token_lock:
            now = self.service.clock.now()
            known = self.index.token(request.token, now)
            if known is not None:
                fingerprint, session_id = known
                try:
                    self.service.get(session_id, with_result=False)
                except SessionNotFound:
                    known = None  # deleted meanwhile: the token makes a new session
                else:
                    if fingerprint != request.fingerprint:
                        raise invalid("ClientRequestToken was already used with different parameters; use a new token for a new request")
                    return {"SessionId": session_id}
            session_id = self._create(request)
            self.index.add_token(request.token, request.fingerprint, session_id, now)
            return {"SessionId": session_id}

    def _create(self, request: CreateRequest) -> str:
        session_id = str(uuid.uuid4())
        self.index.add(session_id, request.output, self.service.clock.now())
        try:
            self.service.create(request.settings, session_id=session_id)
        except BaseException:
            self.index.remove(session_id)
            raise
        return session_id

    def _check_bucket(self, bucket: str) -> None:
        """Refuse an OutputConfig whose bucket cannot be written later (as the service checks access)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            store = _object_store(bucket, self._fleet_config)
            store.client.head_bucket(Bucket=bucket)
        except (ClientError, BotoCoreError) as exc:
            raise _s3_failure("access", bucket, exc) from exc
        except LivegateError as exc:  # a retry cannot help: say which setting is missing
            raise invalid(f"Settings.OutputConfig cannot be used on this device: the fleet's object store is not usable ({exc})") from exc

    def get_results(self, body: Any) -> dict[str, Any]:
        """``GetFaceLivenessSessionResults``: the session's status and, once finished, its result."""
        if not isinstance(body, dict):
            raise invalid("the request body must be a JSON object")
        unknown = sorted(set(body) - {"SessionId"})
        if unknown:
            raise invalid(f"unknown field {unknown[0][:60]}; GetFaceLivenessSessionResults takes SessionId")
        session_id = body.get("SessionId")
        if not isinstance(session_id, str) or SESSION_ID_RE.fullmatch(session_id) is None:
            raise invalid("SessionId must be the 36-character lowercase UUID that CreateFaceLivenessSession returned")
        session = self.service.get(session_id)
        return self.results(session)

    def results(self, session: Session) -> dict[str, Any]:
        """The response body for one session (images as Bytes, or S3Object once delivered)."""
        answer: dict[str, Any] = {"SessionId": session.id, "Status": _STATUS.get(session.status, FAILED)}
        document = session.result
        if document is None:
            answer["Challenge"] = {"Type": session.settings.challenge, "Version": CHALLENGE_VERSION}
            return answer
        confidence = aws_confidence(document)
        if confidence is not None:
            answer["Confidence"] = confidence
        challenge = document.get("Challenge")
        if isinstance(challenge, dict) and isinstance(challenge.get("Type"), str):
            answer["Challenge"] = {"Type": challenge["Type"], "Version": str(challenge.get("Version") or CHALLENGE_VERSION)}
        entries: list[tuple[str, dict[str, Any]]] = []
        if isinstance(document.get("ReferenceImage"), dict):
            entries.append(("reference", document["ReferenceImage"]))
        for i, entry in enumerate(document.get("AuditImages") or []):
            if isinstance(entry, dict):
                entries.append((f"audit-{i}", entry))
        objects = self._delivered_objects(session, [role for role, _ in entries])
        images: dict[str, dict[str, Any]] = {}
        for role, entry in entries:
            image: dict[str, Any] = {}
            box = _box(entry)
            if box:
                image["BoundingBox"] = box
            if objects is not None and role in objects:
                image["S3Object"] = objects[role]
            elif objects is None and session.file(role) is not None:
                image["Bytes"] = base64.b64encode(self.service.image(session.id, role)).decode("ascii")
            images[role] = image
        if "reference" in images:
            answer["ReferenceImage"] = images["reference"]
        answer["AuditImages"] = [images[role] for role, _ in entries if role != "reference"]
        return answer

    def _delivered_objects(self, session: Session, roles: list[str]) -> dict[str, Any] | None:
        """S3 objects of the session's images (uploaded now if not yet); None without OutputConfig."""
        output, delivered = self.index.output(session.id)
        if output is None:
            return None
        if delivered is not None:
            return dict(delivered)
        with self._deliver_lock:
            output, delivered = self.index.output(session.id)
            if delivered is not None:
                return dict(delivered)
            assert output is not None
            objects = self._deliver(session, output, [r for r in roles if session.file(r) is not None])
            self.index.delivered(session.id, objects)
            return objects

    def _deliver(self, session: Session, output: dict[str, str], roles: list[str]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket = output["S3Bucket"]
        try:
            store = _object_store(bucket, self._fleet_config)
        except LivegateError as exc:
            raise AwsError("InternalServerError", f"the fleet's object store is not configured: {exc}") from exc
        objects: dict[str, Any] = {}
        started = time.monotonic()
        for role in roles:
            key = image_key(output["S3KeyPrefix"], session.id, role)
            extra: dict[str, Any] = {"ContentType": "image/jpeg"}
            if store.sse:
                extra["ServerSideEncryption"] = store.sse
            try:
                response = store.client.put_object(Bucket=bucket, Key=key, Body=self.service.image(session.id, role), **extra)
            except (ClientError, BotoCoreError) as exc:
                raise _s3_failure(f"the upload of {key}", bucket, exc) from exc
            obj: dict[str, str] = {"Bucket": bucket, "Name": key}
            if response.get("VersionId"):
                obj["Version"] = str(response["VersionId"])
            objects[role] = obj
        log.info("session %s: %d image(s) delivered to bucket %s in %.0f ms", session.id, len(objects), bucket, (time.monotonic() - started) * 1000)
        return objects


def _load_fleet_config() -> Any:
    from app.core.fleet.config import load_config

    return load_config()
