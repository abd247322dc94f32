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
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__
from app.core import paths, strictjson
from app.core.errors import RecordingError
from app.core.store.files import PART_SUFFIX

if TYPE_CHECKING:
    from app.core.capture.frame import Frame

# OpenCV, numpy and the capture package are imported where frames are encoded or decoded, so that
# checking a file (``livegate verify`` refuses a bad one before anything else loads) stays light.

log = logging.getLogger(__name__)

FORMAT_NAME = "livegate-recording"
#: Version written. 2: colour steps carry a wipe ``direction`` and a brightness ``level`` (docs/recording-format.md).
FORMAT_VERSION = 2
#: Versions read: a version 1 file's colour steps are down wipes at full brightness.
READ_VERSIONS = (1, 2)
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
        paths.make_private_dir(self.path.parent)  # new folders 0700; the file itself is 0600 (mkstemp)
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
        import cv2

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


# --- reading: validate before allocating -------------------------------------------------------
# Recordings come from other people (`verify`, `eval`, the `recording:` source), so the reader checks
# every size, name, type and header against the limits below before it reads or decodes anything
# whose size it has not bounded. docs/recording-format.md lists the same limits.

#: Most frames a recording may hold (two minutes at 30 fps; a session lasts well under one).
MAX_FRAMES = 3600
#: Frame side lengths in pixels.
MIN_SIDE, MAX_SIDE = 8, 4096
#: Most pixels per frame (4096x2160).
MAX_PIXELS = 4096 * 2160
#: Largest manifest.json and labels.json (uncompressed bytes).
MAX_MANIFEST_BYTES = 1 << 20
MAX_LABELS_BYTES = 8 << 20
#: Largest sum of all members' uncompressed sizes.
MAX_TOTAL_BYTES = 2 << 30
#: Largest central directory (bytes) read before any member is looked at.
MAX_DIRECTORY_BYTES = 2 << 20
#: Longest text in a manifest field, and most flash colours in a challenge.
MAX_TEXT = 4096
MAX_COLOURS = 64
#: Highest frame or refresh rate accepted: generous, since some camera drivers report odd rates and
#: the app must read back what it wrote; the check is that the number is a number.
MAX_RATE = 100_000.0
#: JPEG header bytes searched for the frame header (SOF) before giving up.
MAX_JPEG_HEADER = 1 << 20
#: ZIP compression methods a recording may use: stored (what Livegate writes) and deflate.
ALLOWED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
#: ZIP flag bits for encryption: traditional (0), strong encryption (6), masked central directory (13).
_ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000
#: JPEG codings a frame may use: baseline, extended sequential and progressive Huffman.
_JPEG_SOF = {0xC0: "baseline", 0xC1: "extended sequential", 0xC2: "progressive"}
_JPEG_SOF_OTHER = set(range(0xC3, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_FRAME_NAME = re.compile(r"frames/[0-9]{6}\.jpg")
_CHUNK = 1 << 16
_MAX_NS = (1 << 63) - 1


def frame_member_limit(width: int, height: int) -> int:
    """Largest frame member accepted for a ``width`` x ``height`` recording.

    Twice the raw pixel bytes: a quality-100, 4:4:4 JPEG of pure noise is about 1.4x raw, and
    anything larger is not a frame of this size.
    """
    return 2 * width * height * 3 + _CHUNK


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error message: repr (so control characters are escaped), cut to ``limit``."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")


@dataclass(frozen=True)
class JpegHeader:
    """What a JPEG's frame header (SOF marker) declares, read without decoding."""

    coding: str
    width: int
    height: int
    components: int
    precision: int


class _NeedMore(Exception):
    """The bytes seen so far end before the JPEG frame header."""


def jpeg_header(data: bytes) -> JpegHeader:
    """Parse the markers of a JPEG up to its frame header (SOF).

    Raises
    ------
    ValueError
        Not a JPEG (a PNG is named as such), no frame header before the scan data, a coding
        other than baseline/extended/progressive Huffman.
    _NeedMore
        ``data`` ends before the frame header (the caller may supply more bytes).
    """
    if data.startswith(_PNG_MAGIC):
        raise ValueError("is a PNG image; recordings hold JPEG frames")
    if len(data) < 2:
        raise _NeedMore
    if data[:2] != b"\xff\xd8":
        raise ValueError("is not a JPEG image (no start-of-image marker)")
    i = 2
    while True:
        if i + 4 > len(data):
            raise _NeedMore
        if data[i] != 0xFF:
            raise ValueError(f"has a broken JPEG marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):
            raise ValueError("has no JPEG frame header before its image data")
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2:
            raise ValueError(f"has a JPEG segment of impossible length {length}")
        if marker in _JPEG_SOF or marker in _JPEG_SOF_OTHER:
            if marker in _JPEG_SOF_OTHER:
                raise ValueError(f"uses JPEG coding SOF{marker - 0xC0} (only baseline, extended or progressive Huffman)")
            if i + 10 > len(data):
                raise _NeedMore
            return JpegHeader(
                _JPEG_SOF[marker],
                int.from_bytes(data[i + 7 : i + 9], "big"),
                int.from_bytes(data[i + 5 : i + 7], "big"),
                data[i + 9],
                data[i + 4],
            )
        i += 2 + length


def _zip_directory_size(path: Path, size: int) -> tuple[int, int]:
    """Entry count and central-directory size from the end record, read before ``zipfile`` parses anything.

    ``zipfile`` builds an object per entry as it opens a file; a hostile end record can declare
    millions, so the counts are checked first.
    """
    with open(path, "rb") as fh:
        tail_len = min(size, 22 + 65535)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or pos + 22 > len(tail):
            raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: no end of central directory)")
        _sig, disk, cd_disk, _n_disk, entries, cd_size, _cd_offset, _comment = struct.unpack("<4s4H2LH", tail[pos : pos + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # ZIP64: the real numbers are in the ZIP64 end record
            end_offset = size - tail_len + pos
            if end_offset < 20:
                raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: ZIP64 locator missing)")
            fh.seek(end_offset - 20)
            loc = fh.read(20)
            if loc[:4] != b"PK\x06\x07":
                raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: ZIP64 locator missing)")
            (z64_offset,) = struct.unpack("<Q", loc[8:16])
            if z64_offset > size - 56:
                raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: ZIP64 record outside the file)")
            fh.seek(z64_offset)
            rec = fh.read(56)
            if rec[:4] != b"PK\x06\x06":
                raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: ZIP64 record missing)")
            _s, _size, _v1, _v2, disk, cd_disk, _n_disk, entries, cd_size, _off = struct.unpack("<4sQ2H2L4Q", rec)
        if disk != 0 or cd_disk != 0:
            raise RecordingError(f"{path}: multi-part ZIP archives are not recordings")
    return entries, cd_size


class _Container:
    """The ZIP container of a recording, with every member's name, method, flags and size checked.

    Reads of members are streamed and capped (``read``), so a member that decompresses to more
    than it may is refused after at most its limit in bytes, whatever its header says.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            st = path.stat()
        except FileNotFoundError:
            raise RecordingError(f"recording {path} does not exist") from None
        except OSError as exc:
            raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from exc
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise RecordingError(f"recording {path} is a folder, not a file")
            raise RecordingError(f"recording {path} is not a regular file")
        if st.st_size > MAX_TOTAL_BYTES + MAX_DIRECTORY_BYTES:
            raise RecordingError(f"{path} is {st.st_size} bytes; recordings are at most {MAX_TOTAL_BYTES} bytes")
        try:
            entries, cd_size = _zip_directory_size(path, st.st_size)
        except OSError as exc:
            raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from exc
        if entries > MAX_FRAMES + 3:
            raise RecordingError(f"{path}: ZIP directory lists {entries} members; a recording has at most {MAX_FRAMES + 3}")
        if cd_size > MAX_DIRECTORY_BYTES:
            raise RecordingError(f"{path}: ZIP directory is {cd_size} bytes; at most {MAX_DIRECTORY_BYTES} allowed")
        try:
            self.zip = zipfile.ZipFile(path, "r")
        except zipfile.BadZipFile as exc:
            raise RecordingError(f"{path} is not a readable recording (truncated or not a ZIP file: {_one_line(str(exc))})") from exc
        except OSError as exc:
            raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from exc
        except Exception as exc:  # hostile bytes reach struct/unicode errors inside zipfile; all mean "not a recording"
            raise RecordingError(f"{path} is not a readable recording ({type(exc).__name__} in its ZIP directory)") from exc
        try:
            self.members = self._check_members(st.st_size)
        except BaseException:
            self.zip.close()
            raise

    def _check_members(self, file_size: int) -> dict[str, zipfile.ZipInfo]:
        infos = self.zip.infolist()
        if len(infos) > MAX_FRAMES + 3:
            raise RecordingError(f"{self.path}: {len(infos)} members; a recording has at most {MAX_FRAMES + 3}")
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        absolute_frame_limit = frame_member_limit(MAX_SIDE, MAX_PIXELS // MAX_SIDE)
        for info in infos:
            name = info.filename
            if name in members:
                raise RecordingError(f"{self.path}: member {_short(name)} appears twice")
            if name == "frames/" and info.file_size == 0:  # a directory entry some ZIP tools add
                continue
            if name == MANIFEST:
                limit = MAX_MANIFEST_BYTES
            elif name == LABELS:
                limit = MAX_LABELS_BYTES
            elif _FRAME_NAME.fullmatch(name):
                limit = absolute_frame_limit
            else:
                raise RecordingError(
                    f"{self.path}: member {_short(name)} is not part of a recording "
                    f"(allowed: {MANIFEST}, {LABELS}, frames/NNNNNN.jpg)"
                )
            if info.flag_bits & _ENCRYPTION_FLAGS:
                raise RecordingError(f"{self.path}: member {name} is encrypted; recording members must not be")
            if info.compress_type not in ALLOWED_METHODS:
                raise RecordingError(
                    f"{self.path}: member {name} uses ZIP compression method {info.compress_type}; "
                    "recordings allow only stored or deflate"
                )
            if info.file_size > limit:
                raise RecordingError(f"{self.path}: member {name} declares {info.file_size} bytes; at most {limit} allowed")
            if info.compress_size > file_size or info.header_offset + info.compress_size > file_size:
                raise RecordingError(f"{self.path}: member {name} lies outside the file (truncated?)")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise RecordingError(f"{self.path}: member {name} is stored but its two sizes differ")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise RecordingError(f"{self.path}: members declare more than {MAX_TOTAL_BYTES} bytes in all")
            members[name] = info
        return members

    def read(self, name: str, limit: int, *, keep: int | None = None) -> bytes:
        """Stream member ``name``; refuse it past ``limit`` bytes; return its first ``keep`` bytes (default: all).

        ``zipfile`` checks the CRC-32 when the member ends, so reading it to the end proves it intact.
        """
        return self.scan(name, limit, keep=keep)[0]

    def scan(self, name: str, limit: int, *, keep: int | None = None) -> tuple[bytes, bytes]:
        """Like ``read``, also returning the member's last 64 bytes."""
        info = self.members[name]
        if info.file_size > limit:
            raise RecordingError(f"{self.path}: member {name} declares {info.file_size} bytes; at most {limit} allowed")
        kept = bytearray()
        want = limit if keep is None else keep
        seen = 0
        tail = b""
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    seen += len(chunk)
                    if seen > limit:
                        raise RecordingError(f"{self.path}: member {name} holds more than {limit} bytes")
                    if len(kept) < want:
                        kept += chunk[: want - len(kept)]
                    tail = (tail + chunk)[-64:]
        except RecordingError:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise RecordingError(f"{self.path}: {name} is corrupt ({_one_line(str(exc)) or type(exc).__name__})") from exc
        except (RuntimeError, NotImplementedError) as exc:  # encrypted / unsupported: checked above, kept as a guard
            raise RecordingError(f"{self.path}: {name} cannot be read ({_one_line(str(exc))})") from exc
        except OSError as exc:
            raise RecordingError(f"{self.path}: {name} cannot be read ({exc.strerror or exc})") from exc
        if seen != info.file_size:
            raise RecordingError(f"{self.path}: {name} holds {seen} bytes, its header says {info.file_size}")
        return bytes(kept), tail

    def read_json(self, name: str, limit: int) -> Any:
        """A member that must be strict UTF-8 JSON."""
        raw = self.read(name, limit)
        try:
            return strictjson.loads(strictjson.decode_utf8(raw))
        except strictjson.StrictJSONError as exc:
            raise RecordingError(f"{self.path}: {name} is not valid JSON: {exc}") from exc

    def close(self) -> None:
        self.zip.close()


class _Fields:
    """Typed access to manifest fields: each failure names the field (``challenge.colours[2].rgb``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field_name: str, expected: str, value: Any) -> RecordingError:
        return RecordingError(f"{self.path}: {MANIFEST} field {field_name} is missing or malformed: expected {expected}, got {_short(value)}")

    def get(self, obj: dict[str, Any], key: str, where: str, *, required: bool) -> Any:
        if key not in obj:
            if required:
                raise RecordingError(f"{self.path}: {MANIFEST} field {where}{key} is missing or malformed: it is required")
            return None
        return obj[key]

    def integer(self, value: Any, name: str, lo: int, hi: int) -> int:
        if type(value) is not int or not lo <= value <= hi:
            raise self.fail(name, f"an integer {lo}..{hi}", value)
        return value

    def number(self, value: Any, name: str, lo: float, hi: float) -> float:
        # bool is an int to Python but not a number to us; the parser already refused non-finite values
        if type(value) not in (int, float) or not lo <= value <= hi:
            raise self.fail(name, f"a number {lo:g}..{hi:g}", value)
        return float(value)

    def text(self, value: Any, name: str, limit: int = MAX_TEXT) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise self.fail(name, f"text of at most {limit} characters", value)
        return value

    def boolean(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(name, "true or false", value)
        return value

    def obj(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(name, "an object", value)
        return value

    def array(self, value: Any, name: str, limit: int) -> list[Any]:
        if not isinstance(value, list) or len(value) > limit:
            raise self.fail(name, f"an array of at most {limit} items", value)
        return value

    def texts_within(self, value: Any, name: str) -> None:
        """Free-form sections: any JSON, but no text longer than ``MAX_TEXT``."""
        stack = [(value, name)]
        while stack:
            item, where = stack.pop()
            if isinstance(item, str):
                self.text(item, where)
            elif isinstance(item, dict):
                stack.extend((v, f"{where}.{k}") for k, v in item.items())
                for k in item:
                    if len(k) > MAX_TEXT:
                        raise self.fail(where, f"keys of at most {MAX_TEXT} characters", k)
            elif isinstance(item, list):
                stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


def _optional(f: _Fields, section: dict[str, Any], where: str, checks: dict[str, Callable[[Any, str], Any]]) -> None:
    for key, check in checks.items():
        if key in section:
            check(section[key], f"{where}.{key}")


def _validate_manifest(path: Path, data: Any) -> RecordingMeta:
    """Every field of a parsed manifest checked for type and range (see docs/recording-format.md)."""
    f = _Fields(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise RecordingError(f"{path}: manifest does not declare format {FORMAT_NAME!r}")
    version = data.get("version")
    if type(version) is not int or version not in READ_VERSIONS:
        raise RecordingError(f"{path}: recording format version {_short(version)} is not supported "
                             f"(this app reads {' and '.join(str(v) for v in READ_VERSIONS)})")
    width = f.integer(f.get(data, "width", "", required=True), "width", MIN_SIDE, MAX_SIDE)
    height = f.integer(f.get(data, "height", "", required=True), "height", MIN_SIDE, MAX_SIDE)
    if width * height > MAX_PIXELS:
        raise RecordingError(f"{path}: {MANIFEST} field width x height is {width}x{height}; at most {MAX_PIXELS} pixels allowed")
    count = f.integer(f.get(data, "frame_count", "", required=True), "frame_count", 1, MAX_FRAMES)
    stamps_raw = f.array(f.get(data, "timestamps_ns", "", required=True), "timestamps_ns", MAX_FRAMES)
    stamps = [f.integer(t, f"timestamps_ns[{i}]", 0, _MAX_NS) for i, t in enumerate(stamps_raw)]
    if count != len(stamps):
        raise RecordingError(f"{path}: manifest says {count} frames but lists {len(stamps)} timestamps")
    if any(b < a for a, b in zip(stamps, stamps[1:])):
        raise RecordingError(f"{path}: frame timestamps go back in time")
    encoding = data.get("frame_encoding", "jpeg")
    if encoding != "jpeg":
        raise f.fail("frame_encoding", '"jpeg"', encoding)
    app_version = f.text(data.get("app_version", ""), "app_version", 256)
    created = f.text(data.get("created_utc", ""), "created_utc", 256)
    challenge = f.obj(data.get("challenge", {}), "challenge")
    camera = f.obj(data.get("camera", {}), "camera")
    display = f.obj(data.get("display", {}), "display")
    extra = f.obj(data.get("extra", {}), "extra")
    for name, section in (("challenge", challenge), ("camera", camera), ("display", display), ("extra", extra)):
        f.texts_within(section, name)
    _validate_challenge(f, challenge, width, height, version)
    side = max(MAX_SIDE, 16384)
    _optional(f, camera, "camera", {
        "name": f.text, "kind": f.text,
        "width": lambda v, n: f.integer(v, n, 0, side), "height": lambda v, n: f.integer(v, n, 0, side),
        "fps": lambda v, n: f.number(v, n, 0.0, MAX_RATE), "device": f.obj, "controls": f.obj,
    })
    _optional(f, camera.get("device") or {}, "camera.device", {
        "name": f.text, "driver": f.text, "bus_info": f.text, "path": f.text,
        "virtual": f.boolean, "virtual_reason": f.text,
    })
    _optional(f, display, "display", {
        "width": lambda v, n: f.integer(v, n, 0, 65535), "height": lambda v, n: f.integer(v, n, 0, 65535),
        "refresh_hz": lambda v, n: f.number(v, n, 0.0, MAX_RATE),
        "flash_attenuation": lambda v, n: f.number(v, n, 0.0, 0.8),
    })
    _optional(f, extra, "extra", {"session_id": lambda v, n: f.text(v, n, 128)})
    return RecordingMeta(
        width=width,
        height=height,
        timestamps_ns=stamps,
        challenge=challenge,
        camera=camera,
        display=display,
        app_version=app_version,
        created_utc=created,
        extra=extra,
    )


def _validate_challenge(f: _Fields, ch: dict[str, Any], width: int, height: int, version: int = FORMAT_VERSION) -> None:
    if not ch:
        return  # a plain capture (scoring refuses it later with its own message)
    from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, WIPES

    kind = f.text(f.get(ch, "type", "challenge.", required=True), "challenge.type", 64)
    if kind not in (MOVEMENT_AND_LIGHT, MOVEMENT_ONLY):
        raise f.fail("challenge.type", f"{MOVEMENT_AND_LIGHT} or {MOVEMENT_ONLY}", kind)
    _optional(f, ch, "challenge", {"version": lambda v, n: f.text(v, n, 64), "timing_source": f.text})
    oval = f.obj(f.get(ch, "oval", "challenge.", required=True), "challenge.oval")
    reach = 4.0 * max(width, height)  # the oval may overhang the frame, never by more than this
    for key in ("cx", "cy"):
        f.number(f.get(oval, key, "challenge.oval.", required=True), f"challenge.oval.{key}", -reach, reach)
    for key in ("w", "h"):
        value = f.number(f.get(oval, key, "challenge.oval.", required=True), f"challenge.oval.{key}", 0.0, reach)
        if value <= 0:
            raise f.fail(f"challenge.oval.{key}", "a positive number", value)
    colours = f.array(ch.get("colours", []), "challenge.colours", MAX_COLOURS)
    for i, colour in enumerate(colours):
        where = f"challenge.colours[{i}]"
        c = f.obj(colour, where)
        f.text(f.get(c, "name", where + ".", required=True), f"{where}.name", 64)
        rgb = f.get(c, "rgb", where + ".", required=True)
        if not isinstance(rgb, list) or len(rgb) != 3 or any(type(v) is not int or not 0 <= v <= 255 for v in rgb):
            raise f.fail(f"{where}.rgb", "3 integers 0..255", rgb)
        f.integer(f.get(c, "wipe_ms", where + ".", required=True), f"{where}.wipe_ms", 0, 60_000)
        f.integer(f.get(c, "hold_ms", where + ".", required=True), f"{where}.hold_ms", 0, 60_000)
        if version < 2:
            # Version 1 knew only down wipes at full brightness: a file that says otherwise is not version 1.
            for key in ("direction", "level"):
                if key in c:
                    raise RecordingError(f"{f.path}: {MANIFEST} field {where}.{key} needs recording format version 2")
        else:
            direction = f.get(c, "direction", where + ".", required=True)
            if direction not in WIPES:
                raise f.fail(f"{where}.direction", " or ".join(WIPES), direction)
            f.number(f.get(c, "level", where + ".", required=True), f"{where}.level", 0.01, 1.0)
        shown = c.get("shown_ns")
        if shown is not None:
            f.integer(shown, f"{where}.shown_ns", 0, _MAX_NS)


class Recording:
    """A recording opened for reading, every member checked before any frame is decoded. Use as a context manager.

    Opening checks the ZIP directory (member count, names, methods, encryption, declared sizes),
    reads the manifest strictly (UTF-8, strict JSON, every field typed and in range), then streams
    each frame member once under its size cap (CRC-32 checked) and reads its JPEG frame header:
    a recording that opens holds only well-formed, right-sized JPEG frames.

    Raises
    ------
    RecordingError
        When the file is missing, not a recording, truncated, of an unknown
        version, over a limit, or a frame is corrupt; the one-line message names
        the member or field.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._box = _Container(self.path)
        self._zip = self._box.zip
        try:
            self.meta = self._read_manifest()
            self._frame_limit = frame_member_limit(self.meta.width, self.meta.height)
            for i in range(self.meta.frame_count):
                self._check_frame(frame_member(i))
        except BaseException:
            self._box.close()
            raise

    def _read_manifest(self) -> RecordingMeta:
        members = self._box.members
        if MANIFEST not in members:
            raise RecordingError(f"{self.path} has no {MANIFEST}: not a Livegate recording or written incompletely")
        meta = _validate_manifest(self.path, self._box.read_json(MANIFEST, MAX_MANIFEST_BYTES))
        count = meta.frame_count
        frames = [name for name in members if name.startswith("frames/")]
        missing = [i for i in range(count) if frame_member(i) not in members]
        if missing:
            raise RecordingError(f"{self.path}: {len(missing)} of {count} frames are missing (first: {frame_member(missing[0])})")
        if len(frames) != count:
            extra = sorted(set(frames) - {frame_member(i) for i in range(count)})
            raise RecordingError(f"{self.path}: member {extra[0]} is not listed by the manifest (frame_count {count})")
        return meta

    def _header_of(self, member: str, head: bytes) -> None:
        try:
            header = jpeg_header(head)
        except _NeedMore:
            raise RecordingError(f"{self.path}: {member} ends before its JPEG frame header") from None
        except ValueError as exc:
            raise RecordingError(f"{self.path}: {member} {exc}") from exc
        if (header.width, header.height) != (self.meta.width, self.meta.height):
            raise RecordingError(
                f"{self.path}: {member} is {header.width}x{header.height} (JPEG header), "
                f"manifest says {self.meta.width}x{self.meta.height}"
            )
        if header.precision != 8 or header.components not in (1, 3):
            raise RecordingError(
                f"{self.path}: {member} has {header.components} components of {header.precision} bits; "
                "frames are 8-bit colour or grey"
            )

    def _check_frame(self, member: str) -> None:
        head, tail = self._box.scan(member, self._frame_limit, keep=MAX_JPEG_HEADER)
        self._header_of(member, head)
        # A cut JPEG decodes to a partly grey image with warnings on stderr; refuse it here instead.
        if not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise RecordingError(f"{self.path}: {member} has no JPEG end-of-image marker (cut short)")

    def read_frame(self, index: int) -> Frame:
        """Decode frame ``index`` (its size checked against the cap and its JPEG header before decoding)."""
        if not 0 <= index < self.meta.frame_count:
            raise IndexError(f"frame {index} out of range 0..{self.meta.frame_count - 1}")
        member = frame_member(index)
        raw = self._box.read(member, self._frame_limit)
        self._header_of(member, raw[:MAX_JPEG_HEADER])
        import cv2
        import numpy as np

        from app.core.capture.frame import Frame

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
        self._box.close()

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close()


def read_labels(path: str | Path) -> dict[str, Any] | None:
    """Ground-truth labels of a simulated recording (evaluation only; scoring must never call this).

    The container is checked as ``Recording`` checks it and the labels are read strictly.
    """
    box = _Container(Path(path))
    try:
        if LABELS not in box.members:
            return None
        data = box.read_json(LABELS, MAX_LABELS_BYTES)
    finally:
        box.close()
    return data if isinstance(data, dict) else None



def strip_labels(src: str | Path, dst: str | Path) -> Path:
    """Copy a recording without its labels (used to prove scoring ignores them)."""
    dst = Path(dst)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            if item.filename != LABELS:
                zout.writestr(item, zin.read(item.filename))
    return dst
