"""Hostile recordings and settings, generated on demand (nothing large is committed).

Each recording case is a small, otherwise valid recording with one thing wrong, as an attacker
would craft it: memory bombs (a frame member that inflates to 2 GiB, a 30000x30000 JPEG header,
a 2 GiB member beside the manifest), JSON that breaks parsers (deep nesting, NaN, Infinity, huge
numbers, duplicate keys), wrong types, forbidden ZIP features (encryption, unknown compression,
duplicate and path-traversal names, lying sizes) and plain damage (truncated, empty, corrupt
deflate). ``livegate verify`` must refuse every one with exit code 2 and one line naming what is
wrong (``tests/test_hostile_corpus.py``).

The 2 GiB bombs are built by deflating one MiB of zeros once with a full flush (which makes the
compressed piece self-contained) and repeating that piece: about 2 MB on disk, built in well
under a second.

Run by hand::

    python tests/hostile_corpus.py OUTDIR      # writes OUTDIR/*.lgrec and OUTDIR/settings/*.json
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

WIDTH, HEIGHT, FRAMES = 160, 120, 3
STORED, DEFLATED = 0, 8
MIB = 1 << 20


# --- a raw ZIP writer (zipfile refuses to write most of what we need) ------------------------------


@dataclass
class Entry:
    """One ZIP member exactly as it goes on disk."""

    name: str | bytes
    payload: bytes
    method: int = STORED
    crc: int = 0
    usize: int = 0
    flags: int = 0

    @property
    def raw_name(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")


def stored(name: str | bytes, data: bytes, *, flags: int = 0) -> Entry:
    return Entry(name, data, STORED, zlib.crc32(data), len(data), flags)


def deflated(name: str | bytes, data: bytes) -> Entry:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(name, c.compress(data) + c.flush(), DEFLATED, zlib.crc32(data), len(data))


@lru_cache(maxsize=4)
def zero_bomb(mib: int) -> tuple[bytes, int]:
    """Raw deflate of ``mib`` MiB of zeros and its CRC-32, built by repeating one flushed piece."""
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)  # full flush: no back-references across pieces
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return piece * mib + b"\x03\x00", crc  # b"\x03\x00": an empty final block


def bomb(name: str, mib: int = 2048, *, declared: int | None = None) -> Entry:
    payload, crc = zero_bomb(mib)
    return Entry(name, payload, DEFLATED, crc, mib * MIB if declared is None else declared)


def zip_bytes(entries: list[Entry], *, entries_override: int | None = None, disk: int = 0, zip64_entries: int | None = None) -> bytes:
    """A ZIP archive of ``entries`` (sizes below 4 GiB); ``zip64_entries`` adds a ZIP64 end record claiming that many."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        name = e.raw_name
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21, e.crc, len(e.payload), e.usize, len(name), 0)
        out += name + e.payload
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, e.flags, e.method, 0, 0x21, e.crc, len(e.payload), e.usize,
            len(name), 0, 0, 0, 0, 0, offset,
        )
        central += name
    count = len(entries) if entries_override is None else entries_override
    if zip64_entries is not None:
        z64 = len(out) + len(central)
        central += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, zip64_entries, zip64_entries, len(central), len(out))
        central += struct.pack("<4sLQL", b"PK\x06\x07", 0, z64, 1)
        count = 0xFFFF
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", disk, disk, count & 0xFFFF, count & 0xFFFF, len(central), len(out), 0)
    return bytes(out + central + end)


# --- the good recording every case starts from -----------------------------------------------------


@lru_cache(maxsize=1)
def good_jpeg() -> bytes:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    img = np.dstack([(x * 255 // WIDTH), (y * 255 // HEIGHT), np.full_like(x, 128)]).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def good_manifest() -> dict[str, Any]:
    colours = [
        {"name": "black", "rgb": [0, 0, 0], "wipe_ms": 0, "hold_ms": 350, "shown_ns": 1_000_000_000},
        {"name": "red", "rgb": [255, 0, 0], "wipe_ms": 400, "hold_ms": 80, "shown_ns": 1_400_000_000},
    ]
    return {
        "format": "livegate-recording",
        "version": 1,
        "app_version": "hostile-corpus",
        "created_utc": "2026-01-01T00:00:00+00:00",
        "frame_count": FRAMES,
        "width": WIDTH,
        "height": HEIGHT,
        "frame_encoding": "jpeg",
        "timestamps_ns": [1_000_000_000 + i * 33_333_333 for i in range(FRAMES)],
        "challenge": {
            "type": "FaceMovementAndLightChallenge",
            "version": "1.0.0",
            "oval": {"cx": 80.0, "cy": 60.0, "w": 72.0, "h": 116.5},
            "colours": colours,
            "timing_source": "corpus",
        },
        "camera": {"kind": "camera", "name": "Corpus Cam", "width": WIDTH, "height": HEIGHT, "fps": 30.0,
                   "device": {"name": "Corpus Cam", "virtual": False, "virtual_reason": ""}, "controls": {}},
        "display": {"refresh_hz": 60.0, "flash_attenuation": 0.0},
        "extra": {"session_id": "corpus"},
    }


def frames(jpeg: bytes | None = None, count: int = FRAMES) -> list[Entry]:
    return [stored(f"frames/{i:06d}.jpg", jpeg or good_jpeg()) for i in range(count)]


def manifest_entry(manifest: dict[str, Any] | str | bytes) -> Entry:
    if isinstance(manifest, dict):
        manifest = json.dumps(manifest)
    data = manifest.encode("utf-8") if isinstance(manifest, str) else manifest
    return stored("manifest.json", data)


def recording(manifest: dict[str, Any] | str | bytes | None = None, members: list[Entry] | None = None) -> bytes:
    return zip_bytes([*(members if members is not None else frames()), manifest_entry(manifest if manifest is not None else good_manifest())])


def with_field(path: str, value: Any) -> dict[str, Any]:
    """The good manifest with one field (dotted path, ``[i]`` for list items) replaced by raw ``value``."""
    m = good_manifest()
    node: Any = m
    keys = path.replace("[", ".").replace("]", "").split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return m


def without(section: str | None, key: str) -> dict[str, Any]:
    """The good manifest with ``key`` removed from ``section`` (``None``: the top level)."""
    m = good_manifest()
    (m if section is None else m[section]).pop(key)
    return m


def raw_value(path: str, literal: str) -> str:
    """The good manifest as text with one field's value replaced by a JSON-ish ``literal`` (NaN, 1e400, ...)."""
    marker = "__HOSTILE__"
    return json.dumps(with_field(path, marker)).replace(f'"{marker}"', literal)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def patched_sof(jpeg: bytes, *, width: int | None = None, height: int | None = None, marker: int | None = None) -> bytes:
    data = bytearray(jpeg)
    i = data.index(b"\xff\xc0")
    if marker is not None:
        data[i + 1] = marker
    if height is not None:
        data[i + 5 : i + 7] = height.to_bytes(2, "big")
    if width is not None:
        data[i + 7 : i + 9] = width.to_bytes(2, "big")
    return bytes(data)


def png_frame() -> bytes:
    ok, buf = cv2.imencode(".png", np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    assert ok
    return buf.tobytes()


def corrupt_deflate(name: str, data: bytes) -> Entry:
    e = deflated(name, data)
    payload = bytearray(e.payload)
    payload[len(payload) // 3 : len(payload) // 3 + 8] = b"\xff" * 8
    e.payload = bytes(payload)
    return e


# --- the cases: name -> (builder of the file's bytes, text the one-line error must contain) ---------


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    expect: str


def _good_bytes() -> bytes:
    return recording()


def _cases() -> list[Case]:
    j = good_jpeg
    m = good_manifest
    cases = [
        # memory bombs
        Case("bomb-frame-2gib", lambda: zip_bytes([bomb("frames/000000.jpg"), *frames()[1:], manifest_entry(m())]), "declares"),
        Case("bomb-frame-2gib-lying-size", lambda: zip_bytes([bomb("frames/000000.jpg", declared=60_000), *frames()[1:], manifest_entry(m())]), "frames/000000.jpg"),
        Case("bomb-frame-small-bomb-over-cap", lambda: zip_bytes([bomb("frames/000000.jpg", 8), *frames()[1:], manifest_entry(m())]), "frames/000000.jpg"),
        Case("bomb-extra-member-2gib", lambda: zip_bytes([*frames(), bomb("padding.bin"), manifest_entry(m())]), "padding.bin"),
        Case("bomb-extra-frame-2gib", lambda: zip_bytes([*frames(), bomb("frames/000003.jpg", 64), manifest_entry(m())]), "frames/000003.jpg"),
        Case("bomb-manifest-2gib", lambda: zip_bytes([*frames(), bomb("manifest.json")]), "manifest.json"),
        Case("bomb-labels-2gib", lambda: zip_bytes([*frames(), manifest_entry(m()), bomb("labels.json")]), "labels.json"),
        Case("jpeg-header-30000x30000", lambda: recording(members=frames(patched_sof(j(), width=30000, height=30000))), "30000x30000"),
        Case("manifest-30000x30000", lambda: recording(with_field("width", 30000) | {"height": 30000}, frames(patched_sof(j(), width=30000, height=30000))), "width"),
        Case("jpeg-header-wrong-size", lambda: recording(members=frames(patched_sof(j(), width=WIDTH * 2))), "JPEG header"),
        Case("jpeg-arithmetic-coding", lambda: recording(members=frames(patched_sof(j(), marker=0xC9))), "SOF9"),
        Case("jpeg-lossless-coding", lambda: recording(members=frames(patched_sof(j(), marker=0xC3))), "SOF3"),
        Case("timestamps-million", lambda: recording(json.dumps(with_field("timestamps_ns", list(range(1_000_000))))), "manifest.json"),
        Case("manifest-2mib-text", lambda: recording(with_field("extra.note", "x" * (2 * MIB))), "manifest.json"),
        Case("zip-directory-claims-65534-members", lambda: zip_bytes([*frames(), manifest_entry(m())], entries_override=0xFFFE), "members"),
        Case("zip64-directory-claims-10g-members", lambda: zip_bytes([*frames(), manifest_entry(m())], zip64_entries=10**10), "members"),
        Case("zip64-locator-missing", lambda: zip_bytes([*frames(), manifest_entry(m())], entries_override=0xFFFF), "ZIP64"),
        Case("zip-multi-disk", lambda: zip_bytes([*frames(), manifest_entry(m())], disk=1), "multi-part"),
        # JSON that breaks parsers
        Case("deep-nesting-manifest", lambda: recording(nested(100_000)), "nested"),
        Case("deep-nesting-challenge", lambda: recording(raw_value("challenge", nested(50_000))), "nested"),
        Case("deep-nesting-extra", lambda: recording(raw_value("extra", '{"a":' * 20_000 + "1" + "}" * 20_000)), "nested"),
        Case("deep-nesting-camera-controls", lambda: recording(raw_value("camera.controls", nested(40))), "nested"),
        Case("infinity-width", lambda: recording(raw_value("width", "Infinity")), "Infinity"),
        Case("nan-height", lambda: recording(raw_value("height", "NaN")), "NaN"),
        Case("infinity-frame-count", lambda: recording(raw_value("frame_count", "-Infinity")), "Infinity"),
        Case("infinity-timestamp", lambda: recording(raw_value("timestamps_ns[1]", "Infinity")), "Infinity"),
        Case("overflow-timestamp-1e400", lambda: recording(raw_value("timestamps_ns[1]", "1e400")), "out of range"),
        Case("infinity-wipe", lambda: recording(raw_value("challenge.colours[1].wipe_ms", "Infinity")), "Infinity"),
        Case("infinity-shown", lambda: recording(raw_value("challenge.colours[1].shown_ns", "Infinity")), "Infinity"),
        Case("nan-oval", lambda: recording(raw_value("challenge.oval.cx", "NaN")), "NaN"),
        Case("overflow-fps-1e999", lambda: recording(raw_value("camera.fps", "1e999")), "out of range"),
        Case("width-400-digits", lambda: recording(raw_value("width", "9" * 400)), "digits"),
        Case("width-5000-digits", lambda: recording(raw_value("width", "9" * 5000)), "digits"),
        Case("duplicate-key-manifest", lambda: recording(json.dumps(m())[:-1] + ', "width": 999}'), "duplicate key"),
        # wrong types and ranges
        Case("camera-as-list", lambda: recording(with_field("camera", ["Corpus Cam"])), "camera"),
        Case("challenge-as-list", lambda: recording(with_field("challenge", [1, 2])), "challenge"),
        Case("display-as-text", lambda: recording(with_field("display", "big")), "display"),
        Case("extra-as-number", lambda: recording(with_field("extra", 5)), "extra"),
        Case("device-virtual-as-text", lambda: recording(with_field("camera.device.virtual", "no")), "camera.device.virtual"),
        Case("frame-count-string", lambda: recording(with_field("frame_count", "3")), "frame_count"),
        Case("frame-count-float", lambda: recording(with_field("frame_count", 3.0)), "frame_count"),
        Case("frame-count-bool", lambda: recording(with_field("frame_count", True)), "frame_count"),
        Case("frame-count-zero", lambda: recording(with_field("frame_count", 0)), "frame_count"),
        Case("frame-count-huge", lambda: recording(with_field("frame_count", 10**12)), "frame_count"),
        Case("width-negative", lambda: recording(with_field("width", -160)), "width"),
        Case("width-float", lambda: recording(with_field("width", 160.5)), "width"),
        Case("timestamp-string", lambda: recording(with_field("timestamps_ns[0]", "1000")), "timestamps_ns[0]"),
        Case("timestamps-as-object", lambda: recording(with_field("timestamps_ns", {"0": 1})), "timestamps_ns"),
        Case("version-string", lambda: recording(with_field("version", "1")), "version"),
        Case("version-bool", lambda: recording(with_field("version", True)), "version"),
        Case("colour-two-components", lambda: recording(with_field("challenge.colours[1].rgb", [255, 0])), "challenge.colours[1].rgb"),
        Case("colour-out-of-range", lambda: recording(with_field("challenge.colours[1].rgb", [300, 0, 0])), "challenge.colours[1].rgb"),
        Case("colour-as-text", lambda: recording(with_field("challenge.colours[1]", "red")), "challenge.colours[1]"),
        Case("colours-as-object", lambda: recording(with_field("challenge.colours", {"a": 1})), "challenge.colours"),
        Case("wipe-negative", lambda: recording(with_field("challenge.colours[1].wipe_ms", -5)), "wipe_ms"),
        Case("shown-float", lambda: recording(with_field("challenge.colours[1].shown_ns", 1.5e9)), "shown_ns"),
        Case("oval-missing", lambda: recording(without("challenge", "oval")), "challenge.oval"),
        Case("width-missing", lambda: recording(without(None, "width")), "width"),
        Case("oval-negative-width", lambda: recording(with_field("challenge.oval.w", -1.0)), "challenge.oval.w"),
        Case("challenge-unknown-type", lambda: recording(with_field("challenge.type", "Nope")), "challenge.type"),
        Case("flash-attenuation-high", lambda: recording(with_field("display.flash_attenuation", 5)), "flash_attenuation"),
        Case("camera-name-100k", lambda: recording(with_field("camera.name", "n" * 100_000)), "camera.name"),
        Case("frame-encoding-png", lambda: recording(with_field("frame_encoding", "png")), "frame_encoding"),
        Case("png-frames", lambda: recording(members=frames(png_frame())), "PNG"),
        Case("text-frames", lambda: recording(members=frames(b"hello, not an image")), "not a JPEG"),
        Case("jpeg-cut-in-scan-data", lambda: recording(members=frames(j()[:-300])), "end-of-image"),
        Case("jpeg-cut-before-header", lambda: recording(members=frames(j()[:40])), "frame header"),
        Case("manifest-utf16", lambda: recording(json.dumps(m()).encode("utf-16")), "byte-order mark"),
        Case("manifest-utf16-no-bom", lambda: recording(json.dumps(m()).encode("utf-16-le")), "manifest.json"),
        Case("manifest-utf8-bom", lambda: recording(b"\xef\xbb\xbf" + json.dumps(m()).encode()), "byte-order mark"),
        Case("manifest-latin1", lambda: recording(json.dumps(with_field("camera.name", "Caf\u00e9"), ensure_ascii=False).encode("latin-1")), "UTF-8"),
        Case("manifest-top-level-list", lambda: recording("[1, 2, 3]"), "format"),
        Case("manifest-not-json", lambda: recording("{not json"), "manifest.json"),
        # forbidden ZIP features
        Case("encrypted-frame", lambda: zip_bytes([stored("frames/000000.jpg", j(), flags=1), *frames()[1:], manifest_entry(m())]), "encrypted"),
        Case("encrypted-manifest", lambda: zip_bytes([*frames(), stored("manifest.json", json.dumps(m()).encode(), flags=1)]), "encrypted"),
        Case("strong-encryption-flag", lambda: zip_bytes([*frames(), stored("manifest.json", json.dumps(m()).encode(), flags=0x40)]), "encrypted"),
        Case("unknown-compression-99", lambda: zip_bytes([*frames(), Entry("manifest.json", b"xx", 99, 0, 2)]), "method 99"),
        Case("bzip2-compression", lambda: zip_bytes([Entry("frames/000000.jpg", b"BZh9", 12, 0, 4), *frames()[1:], manifest_entry(m())]), "method 12"),
        Case("lzma-compression", lambda: zip_bytes([*frames(), Entry("manifest.json", b"\x00" * 9, 14, 0, 9)]), "method 14"),
        Case("corrupt-deflate-manifest", lambda: zip_bytes([*frames(), corrupt_deflate("manifest.json", json.dumps(m()).encode() * 4)]), "manifest.json"),
        Case("corrupt-deflate-frame", lambda: zip_bytes([corrupt_deflate("frames/000000.jpg", j()), *frames()[1:], manifest_entry(m())]), "frames/000000.jpg"),
        Case("bad-crc-frame", lambda: zip_bytes([Entry("frames/000001.jpg", j(), STORED, 1234, len(j())), frames()[0], frames()[2], manifest_entry(m())]), "frames/000001.jpg"),
        Case("stored-size-mismatch", lambda: zip_bytes([Entry("frames/000000.jpg", j(), STORED, zlib.crc32(j()), len(j()) + 10), *frames()[1:], manifest_entry(m())]), "frames/000000.jpg"),
        Case("duplicate-manifest", lambda: zip_bytes([*frames(), manifest_entry(with_field("width", 1)), manifest_entry(m())]), "twice"),
        Case("duplicate-frame", lambda: zip_bytes([*frames(), frames()[0], manifest_entry(m())]), "twice"),
        Case("path-traversal", lambda: zip_bytes([*frames(), stored("../../../tmp/evil.sh", b"#!/bin/sh\n"), manifest_entry(m())]), "not part of a recording"),
        Case("path-absolute", lambda: zip_bytes([*frames(), stored("/etc/passwd", b"root"), manifest_entry(m())]), "not part of a recording"),
        Case("path-dotdot-frame", lambda: zip_bytes([stored("frames/../manifest.json", b"{}"), *frames(), manifest_entry(m())]), "not part of a recording"),
        Case("name-with-newline", lambda: zip_bytes([*frames(), stored("frames/000000.jpg\nlivegate: ok", b"x"), manifest_entry(m())]), "not part of a recording"),
        Case("name-invalid-utf8", lambda: zip_bytes([*frames(), Entry(b"\xff\xfe.jpg", b"x", STORED, zlib.crc32(b"x"), 1, 0x800), manifest_entry(m())]), "recording"),
        Case("frame-png-extension", lambda: zip_bytes([*frames(), stored("frames/000003.png", png_frame()), manifest_entry(m())]), "not part of a recording"),
        Case("frames-missing", lambda: zip_bytes([frames()[0], manifest_entry(m())]), "missing"),
        Case("no-manifest", lambda: zip_bytes(frames()), "manifest.json"),
        # plain damage
        Case("truncated-half", lambda: _good_bytes()[: len(_good_bytes()) // 2], "truncated"),
        Case("truncated-end-record", lambda: _good_bytes()[:-5], "truncated"),
        Case("zero-bytes", lambda: b"", "truncated"),
        Case("random-bytes", lambda: np.random.default_rng(14).integers(0, 256, 100_000, dtype=np.uint8).tobytes(), "truncated"),
        Case("text-file", lambda: b"this is not a recording\n" * 10, "truncated"),
    ]
    return cases


CASES: list[Case] = _cases()


# --- hostile settings ---------------------------------------------------------------------------

SETTINGS_CASES: dict[str, bytes] = {
    "threshold-400-digits": b'{"threshold": ' + b"9" * 400 + b"}",
    "threshold-5000-digits": b'{"threshold": ' + b"9" * 5000 + b"}",
    "threshold-1e400": b'{"threshold": 1e400}',
    "threshold-nan": b'{"threshold": NaN}',
    "threshold-infinity": b'{"threshold": Infinity}',
    "threshold-string": b'{"threshold": "70"}',
    "threshold-list": b'{"threshold": [70]}',
    "threshold-object": b'{"threshold": {"value": 70}}',
    "threshold-bool": b'{"threshold": true}',
    "deep-nesting": b'{"threshold": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "deep-nesting-top": b"[" * 100_000,
    "duplicate-key": b'{"threshold": 70, "threshold": 10}',
    "audit-images-float": b'{"audit_images": 2.5}',
    "api-port-huge": b'{"api_port": 99999999999999999999}',
    "mode-number": b'{"mode": 3}',
    "camera-huge-text": b'{"camera": "' + b"c" * 100_000 + b'"}',
    "utf16": json.dumps({"threshold": 70}).encode("utf-16"),
    "latin1": '{"camera": "Caf\u00e9"}'.encode("latin-1"),
    "binary": bytes(range(256)),
    "top-level-list": b"[1, 2, 3]",
    "schema-version-huge": b'{"schema_version": ' + b"9" * 400 + b"}",
    "many-keys": json.dumps({f"k{i}": i for i in range(50_000)}).encode(),
    "big-file": b'{"camera": "' + b"x" * (3 * MIB) + b'"}',
}

#: ``LIVEGATE_*`` values that must be reported and ignored.
ENV_CASES: dict[str, str] = {
    "LIVEGATE_THRESHOLD": "9" * 400,
    "LIVEGATE_FLASH_ATTENUATION": "nan",
    "LIVEGATE_FACE_FIT_TIMEOUT_S": "inf",
    "LIVEGATE_KIOSK_RESET_S": "1e400",
    "LIVEGATE_AUDIT_IMAGES": "9" * 5000,
    "LIVEGATE_API_PORT": "0x50",
    "LIVEGATE_LOCKOUT_FAILURES": "3.5",
    "LIVEGATE_KEEP_RECORDINGS": "maybe",
    "LIVEGATE_CAMERA": "c" * 100_000,
    "LIVEGATE_MODE": "[" * 1000,
}


def write_corpus(out: Path, *, names: list[str] | None = None) -> dict[str, Path]:
    """Write the recording cases (or only ``names``) as ``out/<name>.lgrec``; returns name -> path."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for case in CASES:
        if names is not None and case.name not in names:
            continue
        path = out / f"{case.name}.lgrec"
        path.write_bytes(case.build())
        written[case.name] = path
    good = out / "good.lgrec"
    good.write_bytes(_good_bytes())
    written["good"] = good
    return written


def write_settings_corpus(out: Path) -> dict[str, Path]:
    """Write each hostile settings file as ``out/<name>.json``."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, content in SETTINGS_CASES.items():
        path = out / f"{name}.json"
        path.write_bytes(content)
        written[name] = path
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python tests/hostile_corpus.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    target = Path(sys.argv[1])
    recs = write_corpus(target)
    sets = write_settings_corpus(target / "settings")
    print(f"{len(recs)} recordings and {len(sets)} settings files in {target}")
