"""Recordings are written encrypted from the first byte; recovery and retention leave no face behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.capture.frame import Frame
from app.core.recording import Recording, RecordingWriter
from app.core.sessions import ManualClock
from app.devtools.synthetic_results import make_service, synthetic_result

ROOT = Path(__file__).resolve().parents[1]
#: Start of every JPEG OpenCV writes: SOI, APP0, "JFIF" (10 bytes: never by chance in ciphertext).
JFIF = b"\xff\xd8\xff\xe0\x00\x10JFIF"
SOI = b"\xff\xd8\xff"

_WRITER = """
import sys
import numpy as np
from app.core.capture.frame import Frame
from app.core.recording import RecordingWriter

writer = RecordingWriter(sys.argv[1])
image = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
i = 0
while True:
    writer.add_frame(Frame(image, i * 33_000_000, i))
    i += 1
    if i == 30:
        print("writing", flush=True)
"""


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _frame(i: int) -> Frame:
    image = np.random.default_rng(i).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    return Frame(image, i * 33_000_000, i)


def test_a_capture_killed_mid_write_leaves_no_plain_jpeg(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(data / "recordings" / "S.lgrec")], stdout=subprocess.PIPE, env=env, cwd=ROOT
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"writing"
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    parts = list((data / "recordings").glob(".S.lgrec.*.part"))
    assert len(parts) == 1 and parts[0].stat().st_size > 1_000_000  # 30 frames of ~90 kB reached the disk...
    blob = parts[0].read_bytes()
    assert JFIF not in blob and b"frames/" not in blob  # ...as ciphertext only
    assert oct(parts[0].stat().st_mode & 0o777) == "0o600"

    # The next start (the store's owner opening) removes the spool: no JPEG marker of any kind is left.
    service = make_service(data, clock=ManualClock())
    try:
        assert service.store.recovery.removed_temp_files >= 1
    finally:
        service.close()
    assert not list((data / "recordings").glob("*.part"))
    for path in _files(data):
        assert SOI not in path.read_bytes(), path


def test_the_finished_recording_round_trips_and_leaves_no_spool(tmp_path: Path) -> None:
    target = tmp_path / "r.lgrec"
    writer = RecordingWriter(target)
    frames = [_frame(i) for i in range(5)]
    for f in frames:
        writer.add_frame(f)
    spool = next(tmp_path.glob(".r.lgrec.*.part"))
    assert JFIF not in spool.read_bytes()
    writer.close(labels={"species": "live"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.lgrec"]
    with Recording(target) as rec:
        assert rec.meta.frame_count == 5
        assert rec.read_frame(3).image.shape == (120, 160, 3)
    aborted = RecordingWriter(tmp_path / "a.lgrec")
    aborted.add_frame(frames[0])
    aborted.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.lgrec"]


def test_recovery_removes_partial_files_and_plain_recordings_of_known_sessions(tmp_path: Path) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        session = service.create()
        service.start(session.id)
    finally:
        service.close()  # as a crash would: the session is still IN_PROGRESS
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    leftovers = [
        recordings / f"{session.id}.lgrec",  # finished but not yet stored when the app died
        recordings / f".{session.id}.lgrec.x1y2.part",
        recordings / ".tmp-other.lgrec.abcd",
        tmp_path / "keys" / ".tmp-data.1234",
    ]
    for path in leftovers:
        path.write_bytes(b"plaintext face")
    unrelated = recordings / "kept-by-the-user.lgrec"  # no session of this store: not the store's to remove
    unrelated.write_bytes(b"a recording")
    service = make_service(tmp_path, clock=ManualClock())
    try:
        assert service.store.recovery.interrupted == [session.id]
        assert service.store.recovery.removed_temp_files == len(leftovers)
        recovered = service.get(session.id)
        assert (recovered.status, recovered.reason, recovered.verified) == ("ERROR", "interrupted", True)
    finally:
        service.close()
    assert not any(p.exists() for p in leftovers)
    assert unrelated.exists()


def test_purge_and_retention_cover_recordings(tmp_path: Path) -> None:
    clock = ManualClock()
    service = make_service(tmp_path, clock=clock)
    try:
        recordings = tmp_path / "recordings"
        recordings.mkdir()
        old, new, spool = recordings / "old.lgrec", recordings / "new.lgrec", recordings / ".old.lgrec.ab.part"
        for p in (old, new, spool):
            p.write_bytes(b"face")
        week_ago = clock.now() - 8 * 86400
        os.utime(old, (week_ago, week_ago))
        os.utime(spool, (week_ago, week_ago))
        os.utime(new, (clock.now(), clock.now()))
        service.purge(older_than_days=7)
        assert not old.exists() and not spool.exists() and new.exists()
        # Deleting a session removes a plaintext recording of it as well.
        session = service.create()
        (recordings / f"{session.id}.lgrec").write_bytes(b"face")
        service.delete(session.id)
        assert not (recordings / f"{session.id}.lgrec").exists()
    finally:
        service.close()


def test_kept_recording_is_stored_encrypted_and_the_plain_copy_removed(tmp_path: Path) -> None:
    service = make_service(tmp_path, clock=ManualClock())
    try:
        session = service.create(keep_recording=True)
        service.start(session.id)
        path = tmp_path / "recordings" / f"{session.id}.lgrec"
        with RecordingWriter(path) as writer:
            for i in range(3):
                writer.add_frame(_frame(i))
        done = service.complete(session.id, synthetic_result(session.id), recording=path)
        assert done.file("recording") is not None and not path.exists()
    finally:
        service.close()
    for p in _files(tmp_path):
        assert JFIF not in p.read_bytes(), p


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000])
def test_seal_writer_matches_the_sealed_file_format(tmp_path: Path, size: int) -> None:
    import io

    from app.core.store.crypto import SealWriter, open_sealed

    key = os.urandom(32)
    data = os.urandom(size)
    buf = io.BytesIO()
    writer = SealWriter(buf, key, context=b"ctx", chunk_size=65536)
    for i in range(0, size, 7000):
        writer.write(data[i : i + 7000])
    writer.finish()
    assert b"".join(open_sealed(io.BytesIO(buf.getvalue()), key, context=b"ctx")) == data
    from app.core.store.crypto import IntegrityError

    with pytest.raises(IntegrityError):  # without its final chunk (a crash) the stream is refused
        b"".join(open_sealed(io.BytesIO(buf.getvalue()[: -(size % 65536 + 16)] if size else b""), key, context=b"ctx"))


@pytest.mark.slow
def test_a_gui_check_killed_mid_capture_leaves_no_plain_jpeg(tmp_path: Path) -> None:
    """The real app, keeping recordings, killed with SIGKILL while it records a simulated participant."""
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "LIVEGATE_DATA_DIR": str(data),
        "LIVEGATE_CONFIG_DIR": str(tmp_path / "config"),
        "LIVEGATE_KEY_BACKEND": "file",
        "LIVEGATE_KEEP_RECORDINGS": "1",
        "LIVEGATE_SMOKE_CHECK": "1",  # starts one check by itself
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "gui", "--source", "sim:live"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        spool: list[Path] = []
        while time.monotonic() < deadline and proc.poll() is None:
            spool = [p for p in (data / "recordings").glob(".*.part") if p.stat().st_size > 200_000]
            if spool:
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert spool, "the app never began recording"
    for path in _files(data):
        assert JFIF not in path.read_bytes(), path
    make_service(data, clock=ManualClock()).close()  # the next start
    for path in _files(data):
        assert SOI not in path.read_bytes(), path


def test_an_export_is_spooled_encrypted_until_its_final_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    service = make_service(tmp_path / "data", clock=ManualClock())
    try:
        session = service.create(keep_recording=True)
        service.start(session.id)
        path = tmp_path / "rec.lgrec"
        with RecordingWriter(path) as writer:
            for i in range(8):
                writer.add_frame(Frame(np.random.default_rng(i).integers(0, 256, (480, 640, 3), dtype=np.uint8), i * 33_000_000, i))
        service.complete(session.id, synthetic_result(session.id), recording=path)
        out = tmp_path / "out"
        seen: list[int] = []
        real_pem = service.public_key_pem

        def pem_then_crash() -> str:  # called after every session went into the ZIP
            [spool] = list(out.glob(".e.zip.*.part"))
            data = spool.read_bytes()
            seen.append(len(data))
            assert JFIF not in data and b"frames/" not in data and session.id.encode() not in data
            raise OSError("simulated crash while exporting")

        monkeypatch.setattr(service, "public_key_pem", pem_then_crash)
        with pytest.raises(OSError, match="simulated crash"):
            service.export([session.id], out / "e.zip", include_recordings=True)
        assert seen and seen[0] > 1_000_000  # megabytes of faces were on disk, encrypted
        assert list(out.iterdir()) == []  # and a failed export leaves nothing
        monkeypatch.setattr(service, "public_key_pem", real_pem)
        service.export([session.id], out / "e.zip", include_recordings=True)
        assert sorted(p.name for p in out.iterdir()) == ["e.zip"]
        with zipfile.ZipFile(out / "e.zip") as zf:
            assert zf.testzip() is None
            assert f"{session.id}/recording.lgrec" in zf.namelist()
    finally:
        service.close()
