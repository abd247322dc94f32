"""Session recordings, format v1 (see ``docs/recording-format.md``).

A recording is one ZIP file (extension ``.lgrec``) holding ``manifest.json``
(format, version, timestamps, challenge, camera and display facts),
``frames/NNNNNN.jpg`` (JPEG quality 95) and, for simulated sessions only, a
separate ``labels.json`` with ground truth that scoring code never reads.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app import __version__
from app.core.capture.frame import Frame
from app.core.errors import RecordingError
from app.core.store.files import PART_SUFFIX

log = logging.getLogger(__name__)

FORMAT_NAME = "livegate-recording"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LABELS = "labels.json"
JPEG_QUALITY = 95


def frame_member(index: int) -> str:
    """ZIP member name of frame ``index``."""
    return f"frames/{index:06d}.jpg"


@dataclass
class RecordingMeta:
    """Everything in a recording except the pixels and the labels."""

    width: int
    height: int
    timestamps_ns: list[int]
    challenge: dict[str, Any] = field(default_factory=dict)
    camera: dict[str, Any] = field(default_factory=dict)
    display: dict[str, Any] = field(default_factory=dict)
    app_version: str = __version__
    created_utc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return len(self.timestamps_ns)

    def to_manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "app_version": self.app_version,
            "created_utc": self.created_utc,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "frame_encoding": "jpeg",
            "timestamps_ns": list(self.timestamps_ns),
            "challenge": self.challenge,
            "camera": self.camera,
            "display": self.display,
            "extra": self.extra,
        }


#: Plaintext bytes per encrypted spool chunk: at most this much of a face waits in memory.
_SPOOL_CHUNK = 1 << 16
_SPOOL_RECORD = struct.Struct(">HQ")


def _spool_records(chunks: Iterator[bytes]) -> Iterator[tuple[str, bytes]]:
    """(member name, bytes) records from a decrypted spool stream."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        while len(buf) >= _SPOOL_RECORD.size:
            name_len, data_len = _SPOOL_RECORD.unpack_from(buf)
            end = _SPOOL_RECORD.size + name_len + data_len
            if len(buf) < end:
                break
            name = bytes(buf[_SPOOL_RECORD.size : _SPOOL_RECORD.size + name_len]).decode("utf-8")
            yield name, bytes(buf[_SPOOL_RECORD.size + name_len : end])
            del buf[:end]
    if buf:
        raise RecordingError("the recording spool ends inside a frame")


class RecordingWriter:
    """Write a recording frame by frame; the file appears only when ``close()`` succeeds.

    While the recording grows, frames go to a spool beside the target
    (``.<name>.<random>.part``) encrypted from its first byte with a key that
    exists only in this object's memory (AES-256-GCM, ``app.core.store.crypto``
    format ``LGE1``), so a crash or ``kill -9`` leaves only ciphertext nobody
    can read, which the next start removes. ``close()`` writes the finished
    recording (format v1, a plain ZIP) atomically under its final name; the
    session store then encrypts it with the store's key and removes it.
    """

    def __init__(self, path: str | Path, *, quality: int = JPEG_QUALITY) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from app.core.store.crypto import SealWriter

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=PART_SUFFIX, dir=self.path.parent)
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "wb")
        self._key = AESGCM.generate_key(bit_length=256)
        self._context = f"livegate/recording-spool/{self._tmp.name}".encode()
        self._spool = SealWriter(self._fh, self._key, context=self._context, chunk_size=_SPOOL_CHUNK)
        self._quality = quality
        self._timestamps: list[int] = []
        self._size: tuple[int, int] | None = None
        self._closed = False

    def _append(self, name: str, data: bytes) -> None:
        raw = name.encode("utf-8")
        self._spool.write(_SPOOL_RECORD.pack(len(raw), len(data)) + raw)
        self._spool.write(data)

    def add_frame(self, frame: Frame) -> None:
        """Append one frame (frames must share one size and come in time order)."""
        if self._closed:
            raise RecordingError("recording already closed")
        h, w = frame.image.shape[:2]
        if self._size is None:
            self._size = (w, h)
        elif self._size != (w, h):
            raise RecordingError(f"frame {frame.index} is {w}x{h}; the recording is {self._size[0]}x{self._size[1]}")
        if self._timestamps and frame.t_ns < self._timestamps[-1]:
            raise RecordingError(f"frame {frame.index} goes back in time")
        ok, buf = cv2.imencode(
            ".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, self._quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
        )
        if not ok:
            raise RecordingError(f"frame {frame.index} could not be JPEG-encoded")
        try:
            self._append(frame_member(len(self._timestamps)), buf.tobytes())
        except OSError as exc:
            self.abort()
            raise RecordingError(f"could not write recording {self.path}: {exc}") from exc
        self._timestamps.append(int(frame.t_ns))

    def close(
        self,
        *,
        challenge: dict[str, Any] | None = None,
        camera: dict[str, Any] | None = None,
        display: dict[str, Any] | None = None,
        labels: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Write the manifest (and labels), make the file durable and move it into place."""
        if self._closed:
            return self.path
        if not self._timestamps or self._size is None:
            self.abort()
            raise RecordingError("a recording needs at least one frame")
        import datetime as _dt

        meta = RecordingMeta(
            width=self._size[0],
            height=self._size[1],
            timestamps_ns=self._timestamps,
            challenge=challenge or {},
            camera=camera or {},
            display=display or {},
            created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            extra=extra or {},
        )
        from app.core.errors import StoreError
        from app.core.store.crypto import open_sealed
        from app.core.store.files import atomic_writer

        try:
            self._spool.finish()
            self._fh.close()
            with open(self._tmp, "rb") as spool, atomic_writer(self.path) as out:
                with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
                    for name, data in _spool_records(open_sealed(spool, self._key, context=self._context, name=self._tmp.name)):
                        zf.writestr(name, data)
                    zf.writestr(MANIFEST, json.dumps(meta.to_manifest(), indent=1))
                    if labels is not None:
                        zf.writestr(LABELS, json.dumps(labels, indent=1, sort_keys=True))
        except (OSError, StoreError, RecordingError) as exc:
            self.abort()
            raise RecordingError(f"could not write recording {self.path}: {exc}") from exc
        self.abort()  # the spool and its key are no longer needed
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Drop the partial file and forget its key."""
        self._closed = True
        self._spool.discard()
        self._key = b""
        try:
            self._fh.close()
        except OSError:
            pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            self.close()


class Recording:
    """A recording opened for reading. Use as a context manager.

    Raises
    ------
    RecordingError
        When the file is missing, not a recording, truncated, of an unknown
        version, or a frame is corrupt; the message names what is wrong.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecordingError(f"recording {self.path} does not exist")
        try:
            self._zip = zipfile.ZipFile(self.path, "r")
        except zipfile.BadZipFile as exc:
            raise RecordingError(
                f"{self.path} is not a readable recording (truncated or not a ZIP file: {exc})"
            ) from exc
        except OSError as exc:
            raise RecordingError(f"cannot read recording {self.path}: {exc}") from exc
        try:
            self.meta = self._read_manifest()
        except BaseException:
            self._zip.close()
            raise

    def _read_manifest(self) -> RecordingMeta:
        names = set(self._zip.namelist())
        if MANIFEST not in names:
            raise RecordingError(f"{self.path} has no {MANIFEST}: not a Livegate recording or written incompletely")
        try:
            data = json.loads(self._zip.read(MANIFEST))
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise RecordingError(f"{self.path}: {MANIFEST} is corrupt ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise RecordingError(f"{self.path}: manifest does not declare format {FORMAT_NAME!r}")
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise RecordingError(f"{self.path}: recording format version {version!r} is not supported (this app reads {FORMAT_VERSION})")
        try:
            width, height = int(data["width"]), int(data["height"])
            stamps = [int(t) for t in data["timestamps_ns"]]
            count = int(data["frame_count"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordingError(f"{self.path}: manifest field missing or malformed ({exc})") from exc
        if count != len(stamps) or count == 0:
            raise RecordingError(f"{self.path}: manifest says {count} frames but lists {len(stamps)} timestamps")
        if any(b < a for a, b in zip(stamps, stamps[1:])):
            raise RecordingError(f"{self.path}: frame timestamps go back in time")
        missing = [i for i in range(count) if frame_member(i) not in names]
        if missing:
            raise RecordingError(f"{self.path}: {len(missing)} of {count} frames are missing (first: {frame_member(missing[0])})")
        return RecordingMeta(
            width=width,
            height=height,
            timestamps_ns=stamps,
            challenge=dict(data.get("challenge") or {}),
            camera=dict(data.get("camera") or {}),
            display=dict(data.get("display") or {}),
            app_version=str(data.get("app_version", "")),
            created_utc=str(data.get("created_utc", "")),
            extra=dict(data.get("extra") or {}),
        )

    def read_frame(self, index: int) -> Frame:
        """Decode frame ``index``."""
        if not 0 <= index < self.meta.frame_count:
            raise IndexError(f"frame {index} out of range 0..{self.meta.frame_count - 1}")
        member = frame_member(index)
        try:
            raw = self._zip.read(member)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise RecordingError(f"{self.path}: {member} is corrupt ({exc})") from exc
        image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise RecordingError(f"{self.path}: {member} is not a decodable JPEG")
        if image.shape[1] != self.meta.width or image.shape[0] != self.meta.height:
            raise RecordingError(f"{self.path}: {member} is {image.shape[1]}x{image.shape[0]}, manifest says {self.meta.width}x{self.meta.height}")
        return Frame(image, self.meta.timestamps_ns[index], index)

    def frames(self) -> Iterator[Frame]:
        """All frames in order."""
        for i in range(self.meta.frame_count):
            yield self.read_frame(i)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close()


def read_labels(path: str | Path) -> dict[str, Any] | None:
    """Ground-truth labels of a simulated recording (evaluation only; scoring must never call this)."""
    try:
        with zipfile.ZipFile(path) as zf:
            if LABELS not in zf.namelist():
                return None
            data = json.loads(zf.read(LABELS))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RecordingError(f"{path}: labels unreadable ({exc})") from exc
    return data if isinstance(data, dict) else None


def strip_labels(src: str | Path, dst: str | Path) -> Path:
    """Copy a recording without its labels (used to prove scoring ignores them)."""
    dst = Path(dst)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            if item.filename != LABELS:
                zout.writestr(item, zin.read(item.filename))
    return dst
