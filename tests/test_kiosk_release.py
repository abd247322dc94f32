"""Every check, retry, cancel and camera stall gives back its capture epoch, frames and landmark stage."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from app.core.capture.frame import Frame
from app.core.errors import CameraStalled
from app.core.check.capture import CaptureEpoch
from app.core.check.flow import Phase
from app.core.settings import Settings
from app.gui.controller import CheckController
from test_gui_screens import FAST, FakeAnalyzer, Puppet, PuppetSource, PuppetStage

pytestmark = pytest.mark.gui


class StallingSource(PuppetSource):
    """Delivers a few frames, then none (a camera that stalls)."""

    def read(self, timeout: float = 2.0) -> Frame:
        if self.index >= 6:
            time.sleep(timeout)  # pacing a fake camera that stopped (not a test sleep)
            raise CameraStalled("the puppet camera stopped")
        return super().read(timeout)


class CountingStage(PuppetStage):
    opened = 0
    closed = 0

    def __init__(self, puppet: Puppet) -> None:
        super().__init__(puppet)
        CountingStage.opened += 1

    def close(self) -> None:
        CountingStage.closed += 1


def test_cancels_and_stalls_leave_no_worker_frame_or_stage_behind(qtbot) -> None:
    puppet = Puppet("far")
    kinds = ["cancel", "stall", "cancel", "stall", "cancel"]
    current = {"kind": "cancel"}

    def source(spec: str, screen: object) -> PuppetSource:
        return StallingSource(puppet) if current["kind"] == "stall" else PuppetSource(puppet)

    CountingStage.opened = CountingStage.closed = 0
    controller = CheckController(
        settings=Settings(),
        source_spec="puppet:",
        flow_config=FAST,
        source_factory=source,
        landmarks_factory=lambda: CountingStage(puppet),
        analyzer_factory=lambda ctx: FakeAnalyzer(ctx),
    )
    workers: list[weakref.ref[CaptureEpoch]] = []
    try:
        for kind in kinds:
            current["kind"] = kind
            controller.start_check()
            qtbot.waitUntil(lambda: controller.core.last_epoch is not None and controller.core.last_epoch.frames_read > 3, timeout=10000)
            worker = controller.core.last_epoch
            assert worker is not None
            workers.append(weakref.ref(worker))
            if kind == "cancel":
                controller.cancel()
            else:
                qtbot.waitUntil(lambda: controller.phase is Phase.ERROR, timeout=10000)
            qtbot.waitUntil(lambda: not controller.core.retiring, timeout=10000)
            del worker
        gc.collect()
        last = controller.core.last_epoch
        assert last is not None and workers[-1]() is last
        alive = [ref() for ref in workers[:-1] if ref() is not None]
        assert alive == [], f"{len(alive)} finished capture epochs are still alive"
        # The last one keeps its counters for the benchmark, but no frame, analysis or sink.
        assert last.frames.peek() is None and last.analyses.peek() is None and last._sink is None
        assert last.capture is not None and last.capture._latest is None and last.capture.newest.peek() is None
        assert last.frames_read > 3
        assert CountingStage.opened == len(kinds) and CountingStage.closed == len(kinds)
    finally:
        controller.shutdown()
