"""Model runtimes' start-up notes go to the log, not the user's terminal."""

from __future__ import annotations

import logging
import os

from app.core.landmarks import LandmarkOptions, LandmarkStage
from app.core.logs import native_output_to_log


def test_native_writes_to_stderr_are_logged_only_while_a_model_loads(capfd, caplog) -> None:
    caplog.set_level(logging.INFO, logger="livegate.native")
    with native_output_to_log("runtime start-up"):
        os.write(2, b"I0000 00:00:1.0 graph.cc:1] a native note\nsecond line\n")
    os.write(2, b"after the load\n")
    err = capfd.readouterr().err
    assert err == "after the load\n"
    logged = [r.getMessage() for r in caplog.records if r.name == "livegate.native"]
    assert logged == ["runtime start-up: I0000 00:00:1.0 graph.cc:1] a native note", "runtime start-up: second line"]


def test_loading_the_landmarker_prints_nothing_on_stderr(capfd, caplog) -> None:
    caplog.set_level(logging.INFO, logger="livegate.native")
    capfd.readouterr()
    with LandmarkStage.create(LandmarkOptions(video_mode=False)):
        pass
    assert capfd.readouterr().err == ""
    # The graph's start-up notes are in the log instead.
    assert any("face landmarker start-up: " in r.getMessage() for r in caplog.records if r.name == "livegate.native")
