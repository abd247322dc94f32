"""Generated sessions: complete recordings, ground truth only in labels.json, replays use another sequence."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from app.core.recording import LABELS, MANIFEST, Recording, read_labels, strip_labels
from app.core.simulate.cli import run as cli_run
from app.core.simulate.player import PlayerTiming
from app.core.simulate.session import run_session

QUICK = {"wait_s": "0", "approach_s": "0.3"}
TIMING = PlayerTiming(hold_s=0.3, tail_s=0.1)


@pytest.fixture(autouse=True)
def _face_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEGATE_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "sim-faces"))


@pytest.fixture(scope="module")
def live_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "live.lgrec"
    result, _ = run_session("live", 3, out=path, overrides=QUICK, timing=TIMING)
    assert result.fitted and not result.timed_out
    return path


def test_recording_holds_a_complete_session(live_recording: Path) -> None:
    with Recording(live_recording) as rec:
        meta = rec.meta
        frame = rec.read_frame(meta.frame_count - 1)
    colours = meta.challenge["colours"]
    assert len(colours) == 8 and all(c["shown_ns"] is not None for c in colours)
    shown = [c["shown_ns"] for c in colours]
    assert shown == sorted(shown)
    assert meta.timestamps_ns[0] < shown[0] < shown[-1] < meta.timestamps_ns[-1]
    assert meta.camera["device"]["name"] and meta.camera["device"]["virtual"] is False
    assert meta.display["refresh_hz"] == 60.0
    assert frame.image.shape == (480, 640, 3)


def test_ground_truth_only_in_labels(live_recording: Path) -> None:
    with zipfile.ZipFile(live_recording) as zf:
        manifest_text = zf.read(MANIFEST).decode()
        assert LABELS in zf.namelist()
    labels = read_labels(live_recording)
    assert labels is not None
    assert labels["species"] == "live" and labels["seed"] == 3 and labels["params"]["latency_ms"] > 0
    assert len(labels["frames"]) == json.loads(manifest_text)["frame_count"]
    for secret in ('"species"', '"seed"', "latency_ms", "ambient_lux", "sim:"):
        assert secret not in manifest_text, f"{secret} leaked into the manifest"
    assert json.loads(manifest_text)["camera"]["kind"] == "camera"


def test_stripping_labels_leaves_the_rest_identical(live_recording: Path, tmp_path: Path) -> None:
    stripped = strip_labels(live_recording, tmp_path / "stripped.lgrec")
    assert read_labels(stripped) is None
    with zipfile.ZipFile(live_recording) as a, zipfile.ZipFile(stripped) as b:
        names = [n for n in a.namelist() if n != LABELS]
        assert names == b.namelist()
        assert all(a.read(n) == b.read(n) for n in names)


def test_recording_size_within_budget(live_recording: Path) -> None:
    with Recording(live_recording) as rec:
        frames = rec.meta.frame_count
    per_10s = live_recording.stat().st_size / frames * 300
    assert per_10s <= 25e6, f"{per_10s / 1e6:.1f} MB per 10 s"


@pytest.mark.parametrize("species", ["screen-replay", "injection"])
def test_replays_carry_another_colour_sequence(species: str, tmp_path: Path) -> None:
    result, _ = run_session(species, 4, overrides=QUICK, timing=TIMING, max_frames=20)
    replayed = result.labels["replayed_session"]["challenge"]["colours"]
    ours = result.challenge["colours"]
    assert [c["name"] for c in replayed] != [c["name"] for c in ours]
    assert result.labels["attack"] is True


def test_cli_writes_recordings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    args = argparse.Namespace(species="print", count=1, seed=2, out=tmp_path, contact_sheet=False, face=None,
                              behaviour=None, set=["wait_s=0", "approach_s=0.3"])
    assert cli_run(args) == 0
    files = list(tmp_path.glob("print-*.lgrec"))
    assert len(files) == 1
    labels = read_labels(files[0])
    assert labels is not None and labels["species"] == "print"
    assert "MB" in capsys.readouterr().out
