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

from app.core.errors import StoreError
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

    def __init__(self, directory: Path, *, backend: str = "auto", keyring_module: ModuleType | None = None) -> None:
        if backend not in ("auto", "file", "keyring"):
            raise ValueError(f"key backend must be auto, file or keyring; got {backend!r}")
        self.directory = Path(directory)
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
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            os.chmod(self.directory, 0o700)

    def _choose_backend(self) -> str:
        self._ensure_dir()
        marker = self.directory / "backend"
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
            if os.name == "posix" and path.stat().st_mode & 0o077:
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
