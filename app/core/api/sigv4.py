"""AWS Signature Version 4, verified on the server side (header form, ``AWS4-HMAC-SHA256``).

The signature is recomputed from the request exactly as the public specification describes:
a canonical request (method, URI, query, the signed headers, the body's SHA-256), a string to
sign naming the date, the credential scope and the canonical request's hash, and a signing key
derived from the secret by chained HMAC-SHA256 over the date, region, service and
``aws4_request``. Only our own local credentials are accepted (``livegate token --aws``).

A request is refused when its ``X-Amz-Date`` is further than ``skew_s`` from the server's clock,
and a signature already seen within that window is refused as a replay: a captured request
cannot be sent again, and once the window has passed its date is too old anyway. Signatures
have a one-second resolution, so an SDK sending the very same request twice within one second
is refused the second time too, with ``ThrottlingException``, which the SDKs retry (signing anew).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from app.core.store.crypto import KeyStore

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "rekognition"
#: Default tolerated difference between the client's ``X-Amz-Date`` and the server's clock.
DEFAULT_SKEW_S = 300.0
#: Signatures remembered at most (a bound on memory; beyond it requests are throttled).
MAX_REMEMBERED = 100_000
#: Headers that must be covered by the signature (the target names the operation).
REQUIRED_SIGNED = ("host", "x-amz-date", "x-amz-target")
#: Name of the key-store secret holding the local credentials.
SECRET_NAME = "aws-credentials"
_KEY_ID_BYTES = 10
_SECRET_BYTES = 30
_REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
_DATE_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")
_SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
_SPACES_RE = re.compile(r"\s+")


class SigV4Error(Exception):
    """The request's authentication is refused; ``code`` is the service's error code."""

    def __init__(self, code: str, message: str, status: int = 400, *, hold_s: float = 0.0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        #: Seconds the server should wait before answering (see ``SigV4Verifier._remember``).
        self.hold_s = hold_s


@dataclass(frozen=True)
class Credentials:
    """One local access key: the id sent in requests and the secret that signs them."""

    key_id: str
    secret: str


def credentials_from_secret(raw: bytes) -> Credentials:
    """The access key id and secret derived from the stored random bytes (40 of them).

    The id looks like the service's own ids (20 upper-case characters) but starts with ``LGIA``,
    so a Livegate key is never mistaken for a cloud one in logs or configuration.
    """
    if len(raw) != _KEY_ID_BYTES + _SECRET_BYTES:
        raise ValueError(f"the stored AWS-style credentials have {len(raw)} bytes, expected {_KEY_ID_BYTES + _SECRET_BYTES}")
    key_id = "LGIA" + base64.b32encode(raw[:_KEY_ID_BYTES]).decode("ascii")[:16]
    secret = base64.b64encode(raw[_KEY_ID_BYTES:]).decode("ascii")
    return Credentials(key_id, secret)


def new_credentials_secret() -> bytes:
    """Fresh random bytes for ``credentials_from_secret``."""
    return secrets.token_bytes(_KEY_ID_BYTES + _SECRET_BYTES)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key for one day, region and service."""
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def _uri_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_uri(raw_path: str) -> str:
    """The canonical URI: dot segments removed, then the (already encoded) path encoded once more.

    For every service but S3 the specification encodes the path twice; the client encoded it
    once when sending, so the raw path is encoded once here.
    """
    if not raw_path:
        return "/"
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in (".", ""):
            kept.append(segment)
    path = "/" + "/".join(kept)
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return quote(path, safe="/~")


def canonical_query(raw_query: str) -> str:
    """Query parameters sorted by name then value, each encoded the specification's way."""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_uri_encode(unquote(name)), _uri_encode(unquote(value))))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def canonical_headers(headers: Iterable[tuple[str, str]], signed: Iterable[str]) -> str:
    """``name:value`` lines of the signed headers (values trimmed, inner runs of space collapsed)."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(_SPACES_RE.sub(" ", value.strip()))
    return "".join(f"{name}:{','.join(values.get(name, []))}\n" for name in signed)


def canonical_request(
    method: str, raw_path: str, raw_query: str, headers: Iterable[tuple[str, str]], signed: list[str], payload_hash: str
) -> str:
    """The canonical request of the specification."""
    return "\n".join(
        (
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            canonical_headers(headers, signed),
            ";".join(signed),
            payload_hash,
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """What the derived key signs."""
    return "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))


@dataclass(frozen=True)
class ParsedAuthorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    key_id: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str) -> ParsedAuthorization:
    """Split the header into its parts.

    Raises
    ------
    SigV4Error
        ``MissingAuthenticationTokenException`` without a header, ``IncompleteSignatureException``
        for a malformed one.
    """
    if not header:
        raise SigV4Error("MissingAuthenticationTokenException", "the request is not signed: send it with an AWS SDK (Signature Version 4)", 403)
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SigV4Error("IncompleteSignatureException", f"only {ALGORITHM} signatures are accepted")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise SigV4Error("IncompleteSignatureException", f"the Authorization header lacks {', '.join(missing)}")
    parts = fields["Credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise SigV4Error("IncompleteSignatureException", "the credential must be KEYID/yyyymmdd/region/service/aws4_request")
    signed = fields["SignedHeaders"].lower().split(";")
    if signed != sorted(set(signed)) or any(not h for h in signed):
        raise SigV4Error("IncompleteSignatureException", "SignedHeaders must be lower-case names, sorted, separated by ';'")
    signature = fields["Signature"].lower()
    if _SIGNATURE_RE.fullmatch(signature) is None:
        raise SigV4Error("IncompleteSignatureException", "the signature must be 64 hexadecimal digits")
    return ParsedAuthorization(parts[0], parts[1], parts[2], parts[3], signed, signature)


def _amz_time(text: str) -> float:
    return _dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()


class SigV4Verifier:
    """Checks signed requests against the local credentials, with a clock-skew limit and replay memory.

    Parameters
    ----------
    credentials:
        A callable returning the credentials in force (read per request, so a rotation made
        while the server runs is honoured once the key store is re-read).
    regions:
        Region names accepted in the credential scope; ``None`` accepts any well-formed name
        (the integrator keeps the region it already configures).
    skew_s:
        Largest accepted difference between ``X-Amz-Date`` and the server's clock.
    clock:
        POSIX time source.
    """

    def __init__(
        self,
        credentials: Callable[[], Credentials],
        *,
        regions: Iterable[str] | None = None,
        skew_s: float = DEFAULT_SKEW_S,
        clock: Callable[[], float] = time.time,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self._credentials = credentials
        self.regions = frozenset(regions) if regions else None
        self.skew_s = float(skew_s)
        self._clock = clock
        self._max = int(max_remembered)
        self._seen: dict[str, float] = {}
        self._since_prune = 0
        self._lock = threading.Lock()

    def verify(
        self, method: str, raw_path: str, raw_query: str, headers: list[tuple[str, str]], body: bytes
    ) -> str:
        """Verify one request; returns its signature (the replay memory's key).

        Raises
        ------
        SigV4Error
            With the service's code: ``UnrecognizedClientException`` (unknown key id),
            ``InvalidSignatureException`` (wrong signature, date out of the skew window, a region
            or service not served), ``ThrottlingException`` (a signature already received), or a
            malformed header.
        """
        lowered = [(k.lower(), v) for k, v in headers]
        one = dict(lowered)
        auth = parse_authorization(one.get("authorization", ""))
        creds = self._credentials()
        if one.get("x-amz-security-token"):
            raise SigV4Error("UnrecognizedClientException", "temporary credentials (a session token) are not used by Livegate; sign with the key `livegate token --aws` prints")
        if not hmac.compare_digest(auth.key_id.encode("utf-8"), creds.key_id.encode("utf-8")):
            raise SigV4Error(
                "UnrecognizedClientException",
                "the access key id is not this device's; use the AWS_ACCESS_KEY_ID that `livegate token --aws` prints",
            )
        missing = [h for h in REQUIRED_SIGNED if h not in auth.signed_headers]
        if missing:
            raise SigV4Error("InvalidSignatureException", f"the signature must cover the header(s) {', '.join(missing)}", 403)
        amz_date = one.get("x-amz-date", "")
        if _DATE_RE.fullmatch(amz_date) is None:
            raise SigV4Error("IncompleteSignatureException", "X-Amz-Date must be yyyymmddThhmmssZ")
        if auth.date != amz_date[:8]:
            raise SigV4Error("InvalidSignatureException", "the credential scope's date is not the date of X-Amz-Date", 403)
        if auth.service != SERVICE:
            raise SigV4Error("InvalidSignatureException", f"the credential should be scoped to the service {SERVICE}, not {auth.service[:40]!r}", 403)
        if _REGION_RE.fullmatch(auth.region) is None or (self.regions is not None and auth.region not in self.regions):
            served = ", ".join(sorted(self.regions)) if self.regions else "a region name"
            raise SigV4Error("InvalidSignatureException", f"the credential should be scoped to {served}, not {auth.region[:40]!r}", 403)
        try:
            sent_at = _amz_time(amz_date)
        except ValueError as exc:
            raise SigV4Error("IncompleteSignatureException", "X-Amz-Date is not a real date and time") from exc
        now = self._clock()
        if abs(now - sent_at) > self.skew_s:
            shown = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            raise SigV4Error(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is more than {self.skew_s:g} s away from the device's time {shown}; check both clocks",
                403,
            )
        payload_hash = hashlib.sha256(body).hexdigest()
        declared = one.get("x-amz-content-sha256")
        if declared is not None and declared != payload_hash:
            raise SigV4Error("InvalidSignatureException", "X-Amz-Content-Sha256 does not match the body", 403)
        canonical = canonical_request(method, raw_path, raw_query, lowered, auth.signed_headers, payload_hash)
        key = signing_key(creds.secret, auth.date, auth.region, auth.service)
        expected = hmac.new(key, string_to_sign(amz_date, auth.scope, canonical).encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, auth.signature):
            raise SigV4Error(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided: check the secret access key",
                403,
            )
        self._remember(auth.signature, sent_at + self.skew_s, now)
        return auth.signature

    def _remember(self, signature: str, until: float, now: float) -> None:
        with self._lock:
            expiry = self._seen.get(signature)
            if expiry is not None and expiry > now:
                # Refused as throttling: an SDK repeating an identical request within the same second (the
                # signature has a one-second resolution) retries by itself and signs anew, while a captured
                # request replayed as it was keeps being refused. The refusal is answered after a full second,
                # so that the client's clock, whatever its offset, has moved on when it re-signs.
                raise SigV4Error(
                    "ThrottlingException",
                    "an identical signed request was already received (a replay, or a repeat within the same second); sign it anew",
                    500,
                    hold_s=1.0,
                )
            self._since_prune += 1
            if len(self._seen) >= self._max or self._since_prune >= 1024:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
                self._since_prune = 0
            if len(self._seen) >= self._max:
                raise SigV4Error("ThrottlingException", "too many signed requests within the clock-skew window; retry shortly", 500)
            self._seen[signature] = until

    def forget(self, signature: str) -> None:
        """Drop a remembered signature (its request failed on the server: a retry may reuse it)."""
        with self._lock:
            self._seen.pop(signature, None)


def sign_headers(
    credentials: Credentials,
    *,
    method: str,
    host: str,
    raw_path: str,
    body: bytes,
    target: str,
    region: str,
    when: float,
    content_type: str = "application/x-amz-json-1.1",
) -> dict[str, str]:
    """Headers of a request signed the way the SDKs sign it (for tests and scripts without an SDK)."""
    amz_date = _dt.datetime.fromtimestamp(when, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date, "x-amz-target": target}
    signed = sorted(headers)
    payload_hash = hashlib.sha256(body).hexdigest()
    scope = f"{amz_date[:8]}/{region}/{SERVICE}/aws4_request"
    canonical = canonical_request(method, raw_path, "", list(headers.items()), signed, payload_hash)
    key = signing_key(credentials.secret, amz_date[:8], region, SERVICE)
    signature = hmac.new(key, string_to_sign(amz_date, scope, canonical).encode("utf-8"), hashlib.sha256).hexdigest()
    out: Mapping[str, str] = {
        **headers,
        "authorization": f"{ALGORITHM} Credential={credentials.key_id}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}",
    }
    return dict(out)


def stored_credentials(keys: "KeyStore") -> Credentials:
    """This installation's credentials, created on first use and kept with the other keys."""
    return credentials_from_secret(keys.secret(SECRET_NAME, create=new_credentials_secret))


def rotate_credentials(keys: "KeyStore") -> Credentials:
    """Replace the credentials (the old key id stops working once servers restart); returns the new ones."""
    keys.rotate(SECRET_NAME, new_credentials_secret())
    return stored_credentials(keys)
