"""``livegate eval`` keeps going past an unreadable or malformed recording and reports it as an error row."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pytest

from app.core.recording import RecordingWriter
from app.devtools.synthetic_sessions import SynthSpec, make_session


def _good_recording(path: Path) -> Path:
    session = make_session(SynthSpec(kind="live", seed=4, approach_s=1.0), width=320, height=240)
    with RecordingWriter(path) as w:
        for f in session.frames[::8]:
            w.add_frame(f)
        w.close(challenge=session.challenge.to_dict(), camera=session.source.to_dict(), labels={"species": "live"})
    return path


def test_eval_writes_one_result_and_one_error_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app.core.scoring import evaluate

    monkeypatch.setenv("LIVEGATE_SCORING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(evaluate, "draw_det", lambda records, out, threshold: None)  # the plot is not under test
    folder = tmp_path / "suite"
    good = _good_recording(folder / "a-good.lgrec")
    data = good.read_bytes()
    (folder / "b-truncated.lgrec").write_bytes(data[: len(data) // 2])
    report = tmp_path / "report.md"
    assert evaluate.run(argparse.Namespace(dirs=[folder], report=report, threshold=None)) == 0
    rows = json.loads(report.with_suffix(".json").read_text())
    assert [Path(r["path"]).name for r in rows] == ["a-good.lgrec", "b-truncated.lgrec"]
    assert rows[0]["error"] == "" and rows[0]["checks"]
    assert rows[1]["error"] and not rows[1]["checks"]
    text = report.read_text()
    assert "2 (1 scored, 1 could not be scored)" in text
    assert "b-truncated.lgrec:" in text.split("could not be scored\n", 1)[-1]


def _malformed(path: Path, manifest: object) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("frames/000000.jpg", b"\xff\xd8not a jpeg")
        zf.writestr("labels.json", "{not json")
    return path


@pytest.mark.parametrize(
    "manifest",
    [
        {"format": "livegate-recording", "version": 1, "width": 320, "height": 240, "frame_count": 1, "timestamps_ns": [0],
         "challenge": {"kind": 7}},
        {"format": "livegate-recording", "version": 1, "width": 320, "height": 240, "frame_count": 1, "timestamps_ns": [0],
         "challenge": ["not", "a", "mapping"]},
        [1, 2, 3],
    ],
)
def test_a_malformed_recording_is_an_error_row_not_a_traceback(tmp_path: Path, manifest: object) -> None:
    from app.core.scoring.evaluate import score_one

    class NoScorer:  # never reached for a recording that cannot be read
        pass

    rec, slim = score_one(_malformed(tmp_path / "bad.lgrec", manifest), NoScorer(), None)
    assert slim is None
    assert rec.error and rec.status == "FAILED" and not rec.responded
