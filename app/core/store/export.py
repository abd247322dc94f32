"""Export sessions as one ZIP: signed result JSON, decrypted images, manifest.

Layout::

    manifest.json                 format, app version, signing key id, sessions and file hashes
    public-key.pem                the key that signed the results (verify with `livegate verify-result`)
    <session id>/session.json     status, times, references (every session)
    <session id>/result.json      signed result (sessions with a result)
    <session id>/reference.jpg, audit-N.jpg, recording.lgrec (optional)

The ZIP holds biometric data in the clear: it is written owner-only (0600)
and atomically, and every export is logged by session id. While it is being
built it is spooled beside the target encrypted with a key held only in
memory (``.<name>.<random>.part``, like a recording), so an export killed
half-way leaves ciphertext; only the final copy into place writes clear bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import __version__
from app.core.store.crypto import SealWriter, open_sealed
from app.core.store.files import PART_SUFFIX, atomic_writer

if TYPE_CHECKING:
    from app.core.sessions.service import SessionService

log = logging.getLogger(__name__)

EXPORT_FORMAT = "livegate-export"
EXPORT_VERSION = 1
_EXTENSIONS = {"image/jpeg": ".jpg", "application/zip": ".lgrec"}


class _SealedSink:
    """The minimal file interface ``zipfile`` needs to stream into a ``SealWriter``."""

    def __init__(self, sealer: SealWriter) -> None:
        self._sealer = sealer

    def write(self, data: bytes) -> int:
        self._sealer.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to do: chunks are written when full, the rest at ``finish``."""


class _HashingWriter:
    """File-like wrapper counting and hashing what passes through."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return int(self._target.write(data))


def export_sessions(service: "SessionService", session_ids: Sequence[str], dest: Path, *, include_recordings: bool = False) -> Path:
    """Write the sessions ``session_ids`` to the ZIP ``dest`` (see the module docstring).

    Raises
    ------
    SessionNotFound
        For an unknown id (nothing is written).
    IntegrityError
        When a stored result or file fails its check (nothing is written).
    OSError
        When ``dest`` cannot be written.
    """
    sessions = [service.get(sid) for sid in dict.fromkeys(session_ids)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "Format": EXPORT_FORMAT,
        "Version": EXPORT_VERSION,
        "AppVersion": __version__,
        "ExportedAt": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "KeyId": service.key_id,
        "Sessions": [],
    }
    key = AESGCM.generate_key(bit_length=256)
    fd, spool_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=PART_SUFFIX, dir=dest.parent)
    spool = Path(spool_name)
    context = f"livegate/export-spool/{spool.name}".encode()
    try:
        with os.fdopen(fd, "wb") as raw:
            sealer = SealWriter(raw, key, context=context)
            _write_zip(service, sessions, manifest, _SealedSink(sealer), include_recordings)
            sealer.finish()
        with open(spool, "rb") as src, atomic_writer(dest) as out:
            for block in open_sealed(src, key, context=context, name=spool.name):
                out.write(block)
    finally:
        spool.unlink(missing_ok=True)
    log.info("exported %d session(s) with decrypted images to %s: %s", len(sessions), dest, ", ".join(s.id for s in sessions))
    return dest


def _write_zip(
    service: "SessionService", sessions: list[Any], manifest: dict[str, Any], sink: _SealedSink, include_recordings: bool
) -> None:
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:  # type: ignore[arg-type]
        for session in sessions:
            entry: dict[str, Any] = {"SessionId": session.id, "Status": session.status, "Files": []}

            def add(name: str, data: bytes, entry: dict[str, Any] = entry) -> None:
                zf.writestr(name, data)
                entry["Files"].append({"Name": name, "Sha256": hashlib.sha256(data).hexdigest(), "Size": len(data)})

            add(f"{session.id}/session.json", json.dumps(session.summary(), indent=2).encode())
            if session.result is not None:
                add(f"{session.id}/result.json", json.dumps(session.result, indent=2, ensure_ascii=False).encode())
            for stored in session.files:
                if stored.role == "recording":
                    if not include_recordings:
                        continue
                    name = f"{session.id}/recording.lgrec"
                    with zf.open(name, "w", force_zip64=True) as member:
                        writer = _HashingWriter(member)
                        service.store.copy_file_to(session.id, stored, writer)
                    entry["Files"].append({"Name": name, "Sha256": writer.sha256.hexdigest(), "Size": writer.size})
                    continue
                add(f"{session.id}/{stored.role}{_EXTENSIONS.get(stored.media_type, '.bin')}", service.store.read_file(session.id, stored))
            manifest["Sessions"].append(entry)
        zf.writestr("public-key.pem", service.public_key_pem())
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
