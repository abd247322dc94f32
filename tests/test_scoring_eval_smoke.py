"""Smoke evaluation: one simulated session through `livegate eval` and `livegate verify`.

The full accuracy run is a command (`python -m app.devtools.accuracy`), not a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def one_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    session = pytest.importorskip("app.core.simulate.session")
    out = tmp_path_factory.mktemp("suite")
    results = session.generate("live", 1, 4242, out / "live")
    assert results
    return out


def test_eval_reports_iso_metrics(one_session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app.core.scoring.evaluate import run

    monkeypatch.setenv("LIVEGATE_SCORING_CACHE", str(tmp_path / "cache"))
    report = tmp_path / "report.md"
    assert run(argparse.Namespace(dirs=[one_session], report=report, threshold=None)) == 0
    text = report.read_text()
    for needle in ("APCER", "BPCER", "BPNRR", "BPCER20", "| live |", "Timings"):
        assert needle in text
    assert report.with_suffix(".det.png").stat().st_size > 1000
    rows = json.loads(report.with_suffix(".json").read_text())
    assert rows[0]["species"] == "live"
    assert list((tmp_path / "cache").glob("*.pkl"))


def test_verify_json_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`livegate verify --json` on a small hand-made recording (no real face: the check cannot pass)."""
    from app.cli import main
    from app.core.recording import RecordingWriter
    from app.devtools.synthetic_sessions import SynthSpec, make_session

    session = make_session(SynthSpec(kind="live", seed=4, approach_s=1.0), width=320, height=240)
    rec = tmp_path / "s.lgrec"
    with RecordingWriter(rec) as w:
        for f in session.frames[::2]:
            w.add_frame(f)
        w.close(challenge=session.challenge.to_dict(), camera=session.source.to_dict(), labels={"species": "live"})
    code = main(["verify", str(rec), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == (0 if out["Decision"] == "pass" else 1)
    assert out["Decision"] == "fail"  # a drawn ellipse is not a face
    assert out["Status"] in ("SUCCEEDED", "FAILED")
    assert [c["Name"] for c in out["Checks"]] == ["quality", "light", "optics", "geometry", "texture", "injection"]
    assert all(isinstance(r, str) and r for r in out["Reasons"])


def test_verify_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    bad = tmp_path / "broken.lgrec"
    bad.write_bytes(b"not a zip")
    assert main(["verify", str(bad), "--json"]) == 2


def test_accuracy_doc_names_seed_ranges_per_suite() -> None:
    from app.devtools.accuracy import seed_ranges

    assert seed_ranges([9001, 7000, 7001, 9000, 7002]) == "7000-7002, 9000-9001"
    assert seed_ranges([5]) == "5"
    assert seed_ranges([]) == ""


def test_verify_text_says_no_decision_for_a_check_that_could_not_be_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-response (e.g. an over-exposed face) is printed as "no decision", not as a spoof verdict."""
    from app.core.challenge import Challenge
    from app.core.scoring import cli, pipeline
    from app.core.scoring.contract import ABSTAIN, CheckResult, LivenessResult

    reason = "The face was over-exposed while the colours were shown: reduce the light falling on the face and try again."
    res = LivenessResult(
        session_id="s1", status="FAILED", confidence=12.0, decision="fail", threshold=60.0,
        checks=[CheckResult("light", ABSTAIN, None, reason)], reasons=[reason, "A check that could not be made never counts as passed."],
        challenge=Challenge.new(640, 480, seed=1), reference=None, audit=[], frame_size=(640, 480),
    )
    monkeypatch.setattr(pipeline, "score_recording", lambda path, threshold=None: res)
    assert cli.verify_recording(argparse.Namespace(recording=str(tmp_path / "x.lgrec"), threshold=None, json=False)) == 1
    text = capsys.readouterr().out
    assert "NO DECISION, TRY AGAIN" in text and "status FAILED" in text
    assert "reduce the light" in text


def test_report_splits_errors_by_room_light() -> None:
    """Attacks and genuine users visit dim, normal and bright rooms: the report counts errors per room."""
    from app.core.scoring.evaluate import SessionRecord, report_markdown

    def rec(species: str, regime: str, confidence: float) -> SessionRecord:
        return SessionRecord(f"{species}-{regime}-{confidence}.lgrec", species, confidence, "pass" if confidence >= 60 else "fail",
                             "SUCCEEDED", {}, {}, {"species": species, "params": {"light_regime": regime}})

    records = [rec("live", "normal", 90), rec("live-hard", "dim", 30), rec("live-hard", "dim", 80), rec("live-hard", "bright", 70),
               rec("print", "dim", 70), rec("print", "normal", 10), rec("print", "bright", 5)]
    text = report_markdown(records, 60.0, None)
    section = text.split("## By room light", 1)[1].split("\n## ", 1)[0]
    rows = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]] for ln in section.splitlines() if ln.startswith("| ") and "species" not in ln}
    assert "| species | bright | dim | normal |" in section
    assert rows["live-hard"] == ["0/1", "1/2", "-"]  # one dim-room face rejected
    assert rows["print"] == ["0/1", "1/1", "0/1"]  # the dim-room print accepted
    assert rows["live"] == ["-", "-", "0/1"]
