"""Signed results: canonical JSON (RFC 8785) and Ed25519 signatures.

A signed result is the result JSON with one more member, ``Signature``::

    {"Algorithm": "Ed25519", "KeyId": "sha256:<64 hex>", "Value": "<base64>"}

The signed bytes are the RFC 8785 canonical JSON of the document without
``Signature`` and without the image payload members ``Bytes`` and
``Location`` of ``ReferenceImage`` and ``AuditImages[*]`` (those are added per
request by the API; the images are covered through their ``Sha256`` members,
which are signed). ``KeyId`` is the SHA-256 of the raw 32-byte public key.

Verification is strict, so that what a reader sees is what was signed:
documents are parsed with ``parse_strict`` (a duplicate member name, NaN or
infinity, or nesting deeper than ``MAX_DEPTH`` is refused: two parsers could
otherwise read two different documents from one file), the signature is
checked over the canonical form of the parsed document only, a ``Bytes``
payload must match its signed ``Sha256``, and a ``Location`` is accepted only
when it is exactly the address derived from the signed ``SessionId`` and the
image's place (anything else could point a reader anywhere).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core import strictjson

ALGORITHM = "Ed25519"
IMAGE_PAYLOAD_KEYS = ("Bytes", "Location")
#: Deepest nesting of objects and arrays a signed document may have (results use 6).
MAX_DEPTH = 64
_SIGNATURE_KEYS = frozenset(("Algorithm", "KeyId", "Value"))


def _depth(value: Any) -> int:
    """Nesting depth of plain JSON values (iterative: a hostile document cannot exhaust the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_strict(text: str | bytes) -> Any:
    """Parse a signed document's JSON, refusing what could be read two ways.

    Raises
    ------
    ValueError
        For invalid JSON or UTF-8, a duplicate member name, NaN/Infinity, or
        nesting deeper than ``MAX_DEPTH``; the message says which.
    """
    if isinstance(text, bytes):
        try:
            text = strictjson.decode_utf8(text)
        except strictjson.StrictJSONError as exc:
            raise ValueError(f"the file is not UTF-8 text ({exc})") from exc
    return strictjson.loads(text, max_depth=MAX_DEPTH)


def image_location(session_id: str, role: str) -> dict[str, str]:
    """The only ``Location`` an image entry may carry: this session's image on the local API."""
    return {"Url": f"/v1/sessions/{session_id}/images/{role}", "MediaType": "image/jpeg"}


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for ``value``: numpy scalars/arrays unwrapped, tuples to lists, NaN/inf to ``None``.

    Raises
    ------
    TypeError
        For values with no JSON meaning (objects, bytes); the message names the type.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"a result may hold only JSON values; found {type(value).__name__}")


def _number(value: int | float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite number (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers")
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError(f"integer {value} is too large for interoperable JSON")
        return str(value)
    if not math.isfinite(value):
        raise ValueError("NaN and infinity are not JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_repr = repr(abs(value))  # shortest round-trip digits
    mantissa, _, exp_text = digits_repr.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    # Position of the decimal point relative to the first significant digit.
    leading_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    n = len(int_part) - leading_zeros + exponent
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = f"e{'+' if e >= 0 else '-'}{abs(e)}"
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + exp
    return sign + out


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, (int, float)):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda s: str(s).encode("utf-16-be"))):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be text; found {type(key).__name__}")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"cannot put {type(value).__name__} in canonical JSON")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 JSON of plain JSON values.

    Raises
    ------
    TypeError, ValueError
        For non-JSON values, NaN/infinity or unencodable text.
    """
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def signed_payload(document: dict[str, Any]) -> dict[str, Any]:
    """The part of a result document that the signature covers (see the module docstring)."""
    payload = {k: v for k, v in document.items() if k != "Signature"}
    ref = payload.get("ReferenceImage")
    if isinstance(ref, dict):
        payload["ReferenceImage"] = {k: v for k, v in ref.items() if k not in IMAGE_PAYLOAD_KEYS}
    audits = payload.get("AuditImages")
    if isinstance(audits, list):
        payload["AuditImages"] = [
            {k: v for k, v in a.items() if k not in IMAGE_PAYLOAD_KEYS} if isinstance(a, dict) else a for a in audits
        ]
    return payload


def key_id(public_key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` fingerprint of a public key's raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> str:
    """A public key as PEM (SubjectPublicKeyInfo) text."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_public_pem(text: bytes | str) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM.

    Raises
    ------
    ValueError
        When the text is not a PEM Ed25519 public key.
    """
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"the key is {type(key).__name__}, not Ed25519")
    return key


class ResultSigner:
    """Signs result documents with this device's Ed25519 key.

    Parameters
    ----------
    seed:
        The 32-byte private key (``KeyStore.signing_seed()``).
    """

    def __init__(self, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self._record_key = hmac.new(seed, b"livegate/record-mac/v1", hashlib.sha256).digest()
        self.public_key = self._private.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``document`` with a ``Signature`` member (any old one is replaced)."""
        payload = signed_payload(document)
        value = self._private.sign(canonical_json(payload))
        signed = dict(document)
        signed["Signature"] = {"Algorithm": ALGORITHM, "KeyId": self.key_id, "Value": base64.b64encode(value).decode("ascii")}
        return signed

    def public_pem(self) -> str:
        """This device's public key as PEM."""
        return public_pem(self.public_key)

    def sign_record(self, payload: dict[str, Any]) -> str:
        """Tag of a record's listed values: HMAC-SHA256 under a key derived from the signing key.

        A keyed MAC rather than an Ed25519 signature so that checking every row
        of a 1000-row list costs microseconds; only this device (which holds the
        signing key) can make or check it. The domain prefix keeps a tag from
        ever standing for anything else.
        """
        body = _RECORD_DOMAIN + json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")
        return hmac.new(self._record_key, body, hashlib.sha256).hexdigest()

    def verify_record(self, payload: dict[str, Any], tag: str | None) -> bool:
        """Whether ``tag`` (from ``sign_record``) covers exactly ``payload``."""
        if not isinstance(tag, str):
            return False
        try:
            expected = self.sign_record(payload)
        except (TypeError, ValueError):
            return False
        return hmac.compare_digest(expected, tag)


_RECORD_DOMAIN = b"livegate-record-v1\n"


@dataclass(frozen=True)
class Verification:
    """Outcome of checking a result document's signature."""

    valid: bool
    key_id: str | None
    trusted_key: bool
    reason: str


def verify_document(document: Any, trusted: dict[str, Ed25519PublicKey]) -> Verification:
    """Check ``document``'s signature against the ``trusted`` keys (by key id).

    Never raises for malformed input: the reason says what is wrong. Image
    ``Bytes`` present in the document are also checked against their signed
    ``Sha256``.
    """
    if not isinstance(document, dict):
        return Verification(False, None, False, "the file is not a JSON object")
    if _depth(document) > MAX_DEPTH:
        return Verification(False, None, False, f"the result is nested more than {MAX_DEPTH} levels deep")
    sig = document.get("Signature")
    if not isinstance(sig, dict):
        return Verification(False, None, False, "the result has no Signature")
    kid, value, alg = sig.get("KeyId"), sig.get("Value"), sig.get("Algorithm")
    if alg != ALGORITHM or not isinstance(kid, str) or not isinstance(value, str) or set(sig) != _SIGNATURE_KEYS:
        return Verification(False, kid if isinstance(kid, str) else None, False, "the Signature block is malformed")
    key = trusted.get(kid)
    if key is None:
        return Verification(False, kid, False, f"signed by key {kid}, which is not a trusted key")
    try:
        raw_sig = base64.b64decode(value, validate=True)
        key.verify(raw_sig, canonical_json(signed_payload(document)))
    except (InvalidSignature, ValueError, TypeError, RecursionError):
        return Verification(False, kid, True, "the signature does not match the content: the result was altered")
    for label, entry in _image_entries(document):
        if "Location" in entry:
            role = "reference" if label == "ReferenceImage" else f"audit-{label[len('AuditImages['):-1]}"
            sid = document.get("SessionId")
            if not isinstance(sid, str) or entry["Location"] != image_location(sid, role):
                return Verification(
                    False, kid, True, f"{label} Location is not covered by the signature and does not point to this session's image"
                )
        payload = entry.get("Bytes")
        if payload is None:
            continue
        try:
            digest = hashlib.sha256(base64.b64decode(payload, validate=True)).hexdigest()
        except (ValueError, TypeError):
            return Verification(False, kid, True, f"{label} Bytes are not valid base64")
        if digest != entry.get("Sha256"):
            return Verification(False, kid, True, f"{label} Bytes do not match the signed Sha256: the image was altered")
    return Verification(True, kid, True, f"valid signature by key {kid}")


def _image_entries(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    entries: list[tuple[str, dict[str, Any]]] = []
    ref = document.get("ReferenceImage")
    if isinstance(ref, dict):
        entries.append(("ReferenceImage", ref))
    audits = document.get("AuditImages")
    if isinstance(audits, list):
        entries.extend((f"AuditImages[{i}]", a) for i, a in enumerate(audits) if isinstance(a, dict))
    return entries
