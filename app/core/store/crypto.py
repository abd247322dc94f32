"""Encryption at rest for biometric files, and where the keys live.

File format (``LGE1``): a 16-byte header ``b"LGE1" | chunk size (u32 BE) |
8-byte random nonce prefix`` followed by chunks encrypted with AES-256-GCM.
Chunk *i* uses the nonce ``prefix | i (u32 BE)`` and the associated data
``header | context | final flag``, where ``context`` names the session and the
file's role (so files cannot be swapped between sessions or roles unnoticed)
and the final flag marks the last chunk (so truncation is detected). This is
the "STREAM" construction of Hoang, Reyhanitabar, Rogaway and Vizar (2015):
memory stays bounded for long recordings and every byte is authenticated.

Keys come from a ``KeyStore``: the OS keyring when the optional ``keyring``
package is installed and has a working backend, else owner-only files in the
data folder (see ``docs/api.md``, "Data protection", for the trade-off).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core import paths
from app.core.errors import ConfigError, StoreError
from app.core.store.files import TEMP_PREFIX, atomic_writer, fsync_dir

log = logging.getLogger(__name__)

MAGIC = b"LGE1"
CHUNK_SIZE = 1 << 20
_HEADER = struct.Struct(">4sI8s")
_TAG = 16
KEYRING_SERVICE = "livegate"


class IntegrityError(StoreError):
    """Stored data failed its authenticity check (altered, truncated or swapped)."""


# --- sealed files ---------------------------------------------------------------------


def seal_chunks(key: bytes, chunks: Iterable[bytes], *, context: bytes) -> Iterator[bytes]:
    """Encrypt a stream of plaintext pieces into the ``LGE1`` format, piece by piece.

    Parameters
    ----------
    key:
        32-byte AES key.
    chunks:
        Plaintext in pieces of any size (re-cut into ``CHUNK_SIZE`` chunks).
    context:
        Bytes binding the file to its place (session id and role).
    """
    aead = AESGCM(key)
    prefix = secrets.token_bytes(8)
    header = _HEADER.pack(MAGIC, CHUNK_SIZE, prefix)
    yield header
    counter = 0
    buf = bytearray()
    for piece in chunks:
        buf += piece
        while len(buf) > CHUNK_SIZE:  # strictly more: the last full chunk may be the final one
            block = bytes(buf[:CHUNK_SIZE])
            del buf[:CHUNK_SIZE]
            yield aead.encrypt(prefix + struct.pack(">I", counter), block, header + context + b"\x00")
            counter += 1
    yield aead.encrypt(prefix + struct.pack(">I", counter), bytes(buf), header + context + b"\x01")


class SealWriter:
    """Encrypt into an open file incrementally, in the ``LGE1`` format of ``seal_chunks``.

    Nothing reaches the file in the clear: bytes are buffered in memory until
    a chunk is full, then written encrypted. Until ``finish`` the file lacks
    its final chunk, so a crash leaves an unreadable, truncated ciphertext.

    Parameters
    ----------
    fh:
        A file opened for binary writing (the header is written at once).
    key:
        32-byte AES key (for a spool: a fresh key kept only in memory).
    context:
        Bytes binding the file to its place.
    chunk_size:
        Plaintext bytes per chunk (smaller: less plaintext buffered in memory).
    """

    def __init__(self, fh: BinaryIO, key: bytes, *, context: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        if not 1 <= chunk_size <= 64 * CHUNK_SIZE:
            raise ValueError(f"chunk size {chunk_size} is out of range")
        self._fh = fh
        self._aead = AESGCM(key)
        self._prefix = secrets.token_bytes(8)
        self._header = _HEADER.pack(MAGIC, chunk_size, self._prefix)
        self._context = context
        self._chunk = chunk_size
        self._counter = 0
        self._buf = bytearray()
        self._done = False
        fh.write(self._header)

    def _emit(self, block: bytes, final: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._counter)
        self._fh.write(self._aead.encrypt(nonce, block, self._header + self._context + (b"\x01" if final else b"\x00")))
        self._counter += 1

    def write(self, data: bytes) -> None:
        """Append plaintext (encrypted and written whenever a chunk is complete)."""
        if self._done:
            raise ValueError("the sealed stream is finished")
        self._buf += data
        while len(self._buf) > self._chunk:  # strictly more: the last full chunk may be the final one
            block = bytes(self._buf[: self._chunk])
            del self._buf[: self._chunk]
            self._emit(block, False)

    def finish(self) -> None:
        """Write the final chunk (the stream is complete and authenticated from now on)."""
        if not self._done:
            self._emit(bytes(self._buf), True)
            self._buf.clear()
            self._done = True

    def discard(self) -> None:
        """Forget buffered plaintext without writing it."""
        self._buf = bytearray(len(self._buf))
        self._buf.clear()
        self._done = True


def open_sealed(fh: BinaryIO, key: bytes, *, context: bytes, name: str = "file") -> Iterator[bytes]:
    """Decrypt an ``LGE1`` stream chunk by chunk.

    Raises
    ------
    IntegrityError
        When the header is wrong, a chunk fails authentication, the file is
        truncated or has trailing data; nothing of a failing chunk is returned.
    """
    header = fh.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise IntegrityError(f"{name} is truncated (no complete header): it was altered or not fully written")
    magic, chunk_size, prefix = _HEADER.unpack(header)
    if magic != MAGIC or not 1 <= chunk_size <= 64 * CHUNK_SIZE:
        raise IntegrityError(f"{name} is not a Livegate encrypted file (bad header)")
    aead = AESGCM(key)
    counter = 0
    current = fh.read(chunk_size + _TAG)
    while True:
        following = fh.read(chunk_size + _TAG)
        final = not following
        try:
            yield aead.decrypt(prefix + struct.pack(">I", counter), current, header + context + (b"\x01" if final else b"\x00"))
        except (InvalidTag, ValueError) as exc:
            raise IntegrityError(
                f"{name} failed its authenticity check at chunk {counter}: it was altered, truncated, "
                "moved from another session, or the encryption key changed"
            ) from exc
        if final:
            return
        counter += 1
        current = following


def write_sealed(path: Path, key: bytes, source: bytes | Path, *, context: bytes) -> int:
    """Encrypt ``source`` (bytes or a file) to ``path`` atomically and durably.

    Returns
    -------
    int
        Size of the encrypted file in bytes.

    Raises
    ------
    OSError
        Write, ``fsync`` or rename failed (the target is untouched, no temp file stays).
    """
    def pieces() -> Iterator[bytes]:
        if isinstance(source, bytes):
            yield source
            return
        with open(source, "rb") as src:
            while block := src.read(CHUNK_SIZE):
                yield block

    size = 0
    with atomic_writer(path) as fh:
        for block in seal_chunks(key, pieces(), context=context):
            fh.write(block)
            size += len(block)
    return size


def read_sealed(path: Path, key: bytes, *, context: bytes) -> bytes:
    """Decrypt a whole ``LGE1`` file into memory (images; use ``open_sealed`` for recordings)."""
    try:
        with open(path, "rb") as fh:
            return b"".join(open_sealed(fh, key, context=context, name=path.name))
    except FileNotFoundError as exc:
        raise IntegrityError(f"stored file {path.name} is missing: it was deleted outside Livegate") from exc
    except OSError as exc:
        raise StoreError(f"cannot read stored file {path.name}: {exc}") from exc


# --- sealed values (database fields) -----------------------------------------------------

VALUE_MAGIC = b"LGV1"
_NONCE = 12


def seal_value(key: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt one database value: ``b"LGV1" | 12-byte random nonce | AES-256-GCM ciphertext``.

    ``context`` (session id and field name) is authenticated, so a value
    cannot be moved to another row or field unnoticed.
    """
    nonce = secrets.token_bytes(_NONCE)
    return VALUE_MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, VALUE_MAGIC + context)


def open_value(key: bytes, blob: bytes, *, context: bytes, name: str = "value") -> bytes:
    """Decrypt a ``seal_value`` blob.

    Raises
    ------
    IntegrityError
        When the blob is malformed, altered, moved or the key changed.
    """
    if not isinstance(blob, bytes) or len(blob) < len(VALUE_MAGIC) + _NONCE + _TAG or not blob.startswith(VALUE_MAGIC):
        raise IntegrityError(f"{name} is not an encrypted Livegate value: the database was altered")
    nonce = blob[len(VALUE_MAGIC) : len(VALUE_MAGIC) + _NONCE]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(VALUE_MAGIC) + _NONCE :], VALUE_MAGIC + context)
    except InvalidTag as exc:
        raise IntegrityError(f"{name} failed its authenticity check: the database was altered or the key changed") from exc


def lookup_tag(key: bytes, value: str) -> str:
    """Keyed HMAC-SHA256 of a searchable value (customer reference): equality search without the clear text."""
    sub = hmac.new(key, b"livegate/lookup/v1", hashlib.sha256).digest()
    return hmac.new(sub, value.encode("utf-8"), hashlib.sha256).hexdigest()


# --- keys -----------------------------------------------------------------------------


def _usable_keyring(module: ModuleType | None) -> ModuleType | None:
    """The ``keyring`` module if it is installed and has a backend that really stores secrets."""
    if module is None:
        try:
            import keyring as module  # type: ignore[import-not-found, no-redef]
        except ImportError:
            return None
    try:
        backend = module.get_keyring()
        kind = f"{type(backend).__module__}.{type(backend).__name__}"
        if "fail" in kind.lower() or "null" in kind.lower() or float(getattr(backend, "priority", 1)) <= 0:
            log.info("keyring backend %s cannot store secrets; using key files", kind)
            return None
        probe = secrets.token_hex(8)
        module.set_password(KEYRING_SERVICE, "probe", probe)
        ok = module.get_password(KEYRING_SERVICE, "probe") == probe
        module.delete_password(KEYRING_SERVICE, "probe")
        return module if ok else None
    except Exception as exc:  # any backend failure (D-Bus, locked collection) means "not usable"
        log.info("keyring is not usable (%s); using key files", exc)
        return None


class KeyStore:
    """Secrets (encryption key, signing key, API token), created on first use.

    The backend is chosen once and written to ``<directory>/backend`` so a key
    is never silently re-created elsewhere: if the keyring that holds the keys
    becomes unavailable later, ``secret`` raises instead of making new keys
    (which would make every stored file unreadable).

    Parameters
    ----------
    directory:
        Folder for the backend marker and, with the file backend, the key
        files (created ``0700``; files ``0600``).
    backend:
        ``"auto"`` (keyring when usable, else files), ``"file"`` or ``"keyring"``.
    keyring_module:
        A stand-in for the ``keyring`` module (tests).
    """

    def __init__(
        self, directory: Path, *, backend: str = "auto", keyring_module: ModuleType | None = None, read_only: bool = False
    ) -> None:
        if backend not in ("auto", "file", "keyring"):
            shown = backend if len(backend) <= 40 else backend[:37] + "..."
            raise ConfigError(f"key backend (LIVEGATE_KEY_BACKEND) must be auto, file or keyring; got {shown!r}")
        self.directory = Path(directory)
        #: Never create, write or re-permission anything (readers of a store or a backup).
        self.read_only = read_only
        self._requested = backend
        self._keyring_module = keyring_module
        self._keyring: ModuleType | None = None
        self._backend: str | None = None
        self._cache: dict[str, bytes] = {}

    @property
    def backend(self) -> str:
        """``"keyring"`` or ``"file"`` (decided on first use)."""
        if self._backend is None:
            self._backend = self._choose_backend()
        return self._backend

    def _ensure_dir(self) -> None:
        try:
            paths.make_private_dir(self.directory)
            paths.set_private(self.directory)
        except OSError as exc:
            raise StoreError(f"cannot create the key folder {self.directory}: {exc.strerror or exc}") from exc

    def _choose_backend(self) -> str:
        marker = self.directory / "backend"
        if self.read_only:
            if not marker.exists():
                raise StoreError(f"{self.directory} holds no Livegate keys: the store cannot be read without them")
        else:
            self._ensure_dir()
        recorded = marker.read_text(encoding="utf-8").strip() if marker.exists() else ""
        if recorded not in ("", "file", "keyring"):
            raise StoreError(f"{marker} names an unknown key backend {recorded!r}; expected file or keyring")
        if self._requested != "auto" and recorded and recorded != self._requested:
            raise StoreError(
                f"the keys of this installation are in the {recorded} backend, not {self._requested}; "
                "moving keys between backends is not supported"
            )
        wanted = recorded or self._requested
        if wanted in ("auto", "keyring"):
            self._keyring = _usable_keyring(self._keyring_module)
            if self._keyring is None and wanted == "keyring":
                raise StoreError(
                    "the keys of this installation are kept in the OS keyring, which is not available now "
                    "(locked, or no Secret Service running); unlock it and try again"
                )
            chosen = "keyring" if self._keyring is not None else "file"
        else:
            chosen = "file"
        if not recorded:
            with atomic_writer(marker, mode=0o600) as fh:
                fh.write(chosen.encode())
            log.info("keys are kept in the %s backend", chosen)
        return chosen

    def secret(self, name: str, *, create: Callable[[], bytes]) -> bytes:
        """The secret called ``name``, created with ``create()`` and saved on first use.

        Raises
        ------
        StoreError
            When the backend holding the keys is unreachable or a key file is unreadable.
        """
        if name in self._cache:
            return self._cache[name]
        if self.read_only:
            def create() -> bytes:
                raise StoreError(f"the key {name!r} of this store is missing; a reader never creates keys")
        value = self._read_keyring(name, create) if self.backend == "keyring" else self._read_file(name, create)
        self._cache[name] = value
        return value

    def _read_keyring(self, name: str, create: Callable[[], bytes]) -> bytes:
        assert self._keyring is not None
        try:
            stored = self._keyring.get_password(KEYRING_SERVICE, name)
            if stored is None:
                self._keyring.set_password(KEYRING_SERVICE, name, base64.b64encode(create()).decode("ascii"))
                stored = self._keyring.get_password(KEYRING_SERVICE, name)
            if stored is None:
                raise StoreError(f"the OS keyring did not keep the secret {name!r}")
            return base64.b64decode(stored)
        except StoreError:
            raise
        except Exception as exc:  # keyring backends raise their own error types
            raise StoreError(f"cannot read the secret {name!r} from the OS keyring: {exc}") from exc

    def _read_file(self, name: str, create: Callable[[], bytes]) -> bytes:
        path = self.directory / f"{name}.key"
        if not path.exists() and self.read_only:
            create()  # raises: a reader never creates a key
        if not path.exists():
            # Write under a temp name, then hard-link into place: if two processes race,
            # exactly one link succeeds and both read the winner's key.
            tmp = self.directory / f"{TEMP_PREFIX}{name}.{secrets.token_hex(4)}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(base64.b64encode(create()) + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    pass
                fsync_dir(self.directory)
            except OSError as exc:
                raise StoreError(f"cannot create key file {path}: {exc}") from exc
            finally:
                tmp.unlink(missing_ok=True)
        try:
            if os.name == "posix" and path.stat().st_mode & 0o077 and not self.read_only:
                log.warning("key file %s was readable by others; restricting it to the owner", path.name)
                os.chmod(path, 0o600)
            return base64.b64decode(path.read_bytes().strip(), validate=True)
        except (OSError, ValueError) as exc:
            raise StoreError(f"key file {path} is unreadable or corrupt ({exc}); restore it from a backup") from exc

    def peek_signing_key(self) -> bytes | None:
        """The signing seed if this installation already has one, without creating anything."""
        marker = self.directory / "backend"
        if not marker.exists():
            return None
        if self.backend == "file" and not (self.directory / "signing.key").exists():
            return None
        if self.backend == "keyring":
            assert self._keyring is not None
            try:
                if self._keyring.get_password(KEYRING_SERVICE, "signing") is None:
                    return None
            except Exception as exc:  # keyring backends raise their own error types
                raise StoreError(f"cannot read the signing key from the OS keyring: {exc}") from exc
        return self.signing_seed()

    def data_key(self) -> bytes:
        """The 32-byte AES-256-GCM key for biometric files."""
        key = self.secret("data", create=lambda: AESGCM.generate_key(bit_length=256))
        if len(key) != 32:
            raise StoreError(f"the data encryption key has {len(key)} bytes, expected 32; the key store is corrupt")
        return key

    def signing_seed(self) -> bytes:
        """The 32-byte Ed25519 private key seed that signs results."""
        seed = self.secret("signing", create=lambda: secrets.token_bytes(32))
        if len(seed) != 32:
            raise StoreError(f"the signing key has {len(seed)} bytes, expected 32; the key store is corrupt")
        return seed

    def api_token(self) -> str:
        """The bearer token of the local API (43 URL-safe characters)."""
        raw = self.secret("api-token", create=lambda: secrets.token_bytes(32))
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def rotate(self, name: str, value: bytes) -> None:
        """Replace a secret (API token and API access keys only: rotating data keys would orphan files)."""
        if name not in ROTATABLE:
            raise ValueError("only the API token and the API access keys can be rotated")
        if self.backend == "keyring":
            assert self._keyring is not None
            self._keyring.set_password(KEYRING_SERVICE, name, base64.b64encode(value).decode("ascii"))
        else:
            path = self.directory / f"{name}.key"
            with atomic_writer(path, mode=0o600) as fh:
                fh.write(base64.b64encode(value) + b"\n")
        self._cache.pop(name, None)


#: Secrets that ``KeyStore.rotate`` may replace (credentials of clients, never data or signing keys).
ROTATABLE = ("api-token", "aws-credentials")


def default_key_dir(data_dir: Path) -> Path:
    """Where keys live for a data folder."""
    return data_dir / "keys"
