"""Envelope encryption of images and recordings for head office.

Every object gets a fresh 256-bit data key. The object is sealed with it in the
store's chunked AES-256-GCM format (``LGE1``, see ``app.core.store.crypto``),
bound to the object's bucket key. The data key itself is wrapped for head
office: an ephemeral X25519 key agreement with head office's public key, HKDF-
SHA256 over the shared secret (salted with both public keys) and AES-256-GCM.
Only the holder of head office's X25519 private key can unwrap it, so a leaked
bucket - or a stolen kiosk - shows nothing.

Object layout (``LGX1``)::

    b"LGX1" | recipient key id (32 bytes: SHA-256 of head office's raw public key)
            | ephemeral public key (32) | wrap nonce (12) | wrapped data key (32 + 16 tag)
            | LGE1 stream sealed with the data key, context = b"livegate-fleet/" + object key
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from io import BytesIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.store.crypto import IntegrityError, open_sealed, seal_chunks

MAGIC = b"LGX1"
_HEADER_LEN = 4 + 32 + 32 + 12 + 48
_WRAP_INFO = b"livegate fleet data-key wrap v1"


def recipient_id(public_key: X25519PublicKey) -> bytes:
    """SHA-256 of the raw public key: which head-office key an object is for."""
    return hashlib.sha256(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).digest()


def recipient_id_text(public_key: X25519PublicKey) -> str:
    """``sha256:<hex>`` form of ``recipient_id`` for humans and logs."""
    return "sha256:" + recipient_id(public_key).hex()


def generate_private_key() -> X25519PrivateKey:
    """A new head-office key pair (keep the private half off the kiosks)."""
    return X25519PrivateKey.generate()


def private_pem(key: X25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted with ``passphrase`` when given."""
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm)


def public_pem(key: X25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM of a public key."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_public(data: bytes | str) -> X25519PublicKey:
    """Read head office's X25519 public key from PEM.

    Raises
    ------
    ValueError
        When the text is not an X25519 public key in PEM.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from exc
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"the head-office key is {type(key).__name__}, not X25519")
    return key


def load_private(data: bytes, passphrase: bytes | None = None) -> X25519PrivateKey:
    """Read head office's X25519 private key from PEM.

    Raises
    ------
    ValueError
        Not an X25519 private key, or a wrong or missing passphrase.
    """
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot read the head-office private key ({exc})") from exc
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"the key is {type(key).__name__}, not an X25519 private key")
    return key


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_WRAP_INFO).derive(shared)


def _context(object_key: str) -> bytes:
    return b"livegate-fleet/" + object_key.encode("utf-8")


def seal(plaintext: bytes, recipient: X25519PublicKey, *, object_key: str) -> bytes:
    """Encrypt ``plaintext`` for ``recipient`` with a fresh data key, bound to ``object_key``."""
    data_key = AESGCM.generate_key(bit_length=256)
    ephemeral = X25519PrivateKey.generate()
    eph_raw = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    rid = recipient_id(recipient)
    kek = _kek(ephemeral.exchange(recipient), eph_raw, recipient.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    nonce = secrets.token_bytes(12)
    header_wo_key = MAGIC + rid + eph_raw + nonce
    wrapped = AESGCM(kek).encrypt(nonce, data_key, header_wo_key + _context(object_key))
    body = b"".join(seal_chunks(data_key, [plaintext], context=_context(object_key)))
    return header_wo_key + wrapped + body


@dataclass(frozen=True)
class Header:
    """The readable part of an ``LGX1`` object."""

    recipient: bytes


def read_header(blob: bytes) -> Header:
    """Which key an object is for (raises ``IntegrityError`` when it is not an ``LGX1`` object)."""
    if len(blob) < _HEADER_LEN or blob[:4] != MAGIC:
        raise IntegrityError("the object is not a Livegate envelope (LGX1)")
    return Header(recipient=blob[4:36])


def open_sealed_object(blob: bytes, private_key: X25519PrivateKey, *, object_key: str) -> bytes:
    """Decrypt an ``LGX1`` object with head office's private key.

    Raises
    ------
    IntegrityError
        Wrong key, altered or truncated object, or an object moved to another key.
    """
    header = read_header(blob)
    public = private_key.public_key()
    if header.recipient != recipient_id(public):
        raise IntegrityError(
            f"the object is encrypted for key sha256:{header.recipient.hex()}, not for this private key ({recipient_id_text(public)})"
        )
    eph_raw, nonce, wrapped = blob[36:68], blob[68:80], blob[80:128]
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(eph_raw))
        kek = _kek(shared, eph_raw, public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        data_key = AESGCM(kek).decrypt(nonce, wrapped, blob[:80] + _context(object_key))
    except (InvalidTag, ValueError) as exc:
        raise IntegrityError("the object's data key cannot be unwrapped: the object was altered or moved") from exc
    return b"".join(open_sealed(BytesIO(blob[_HEADER_LEN:]), data_key, context=_context(object_key), name=object_key))
