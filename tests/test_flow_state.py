"""The check's state machine and the per-frame hints, driven by hand-made inputs (no Qt, no camera)."""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
import pytest

from app.core.challenge import LEFT_EYE, MOUTH, MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, RIGHT_EYE, Box, Oval, fit_state
from app.core.check.flow import (
    CaptureStarted,
    CheckFlow,
    FlowConfig,
    FrameAnalysis,
    GuidanceUpdated,
    Outcome,
    Phase,
    PhaseChanged,
    Problem,
)
from app.core.guidance import GuidanceThresholds, GuidanceTracker, Hint, ImageStats, assess_frame, measure_image
from app.core.landmarks import FaceLandmarks, LandmarkResult
from app.core.settings import Settings

MS = 1_000_000
FPS30 = 33 * MS
GOOD = ImageStats(frame_luma=120.0, face_luma=130.0, background_luma=110.0, face_clipped=0.0, sharpness=80.0)


def face_points(cx: float, cy: float, width: float) -> np.ndarray:
    """478 landmarks whose reference face box is ``width`` wide and centred on (cx, cy)."""
    pd = width / 1.81  # w = (2 pd + 1.8 fh) / 2 with fh = 0.9 pd
    fh = 0.9 * pd
    eye_y = cy - fh / 2
    pts = np.tile(np.array([[cx, cy]], np.float32), (478, 1))
    pts[:10] = [[cx - width / 2, cy - 0.8 * width], [cx + width / 2, cy + 0.8 * width]] * 5  # spread the tight box
    pts[list(RIGHT_EYE)] = [cx - pd / 2, eye_y]
    pts[list(LEFT_EYE)] = [cx + pd / 2, eye_y]
    pts[list(MOUTH)] = [cx, eye_y + fh]
    return pts


def landmarks(t_ns: int, *faces: tuple[float, float, float]) -> LandmarkResult:
    return LandmarkResult(0, t_ns, tuple(FaceLandmarks.from_points(face_points(*f)) for f in faces), 1.0)


class Driver:
    """Feeds a flow with frames on a fake 30 fps clock and records its events."""

    def __init__(self, config: FlowConfig | None = None) -> None:
        ids = (f"s{i}" for i in itertools.count(1))
        self.flow = CheckFlow(config=config or FlowConfig(), session_ids=lambda: next(ids))
        self.events: list[object] = []
        self.flow.subscribe(self.events.append)
        self.t = 1_000 * MS
        self.index = 0

    def frame(self, *faces: tuple[float, float, float], stats: ImageStats = GOOD, size: tuple[int, int] = (640, 480), step: int = 1) -> None:
        self.t += FPS30 * step
        self.index += step
        a = FrameAnalysis(self.index, self.t, size[0], size[1], landmarks(self.t, *faces), stats)
        self.flow.frame_analysed(a, self.t)
        self.flow.tick(self.t)

    def start(self, **kw: object) -> None:
        self.flow.start(self.t, **kw)  # type: ignore[arg-type]
        for _ in range(10):
            self.frame()

    @property
    def oval(self) -> Oval:
        assert self.flow.session and self.flow.session.challenge
        return self.flow.session.challenge.oval

    def approach(self, frames: int = 50) -> None:
        """Far (passes the gate) then a face that fills the oval."""
        o = self.oval
        for _ in range(5):
            self.frame((o.cx, o.cy, 0.5 * o.w))
        for i in range(frames):
            self.frame((o.cx, o.cy, (0.5 + 0.5 * min(1.0, i / 10)) * o.w))

    def hints(self) -> list[Hint]:
        return [e.guidance.hint for e in self.events if isinstance(e, GuidanceUpdated)]

    def phases(self) -> list[Phase]:
        return [e.phase for e in self.events if isinstance(e, PhaseChanged)]


# --- the happy paths ---------------------------------------------------------------------------


def test_full_light_check_reaches_result() -> None:
    d = Driver()
    d.start()
    assert d.flow.phase is Phase.GUIDANCE
    assert d.flow.session is not None and d.flow.session.measured_fps == pytest.approx(30.3, abs=0.5)
    d.approach()
    assert d.flow.phase is Phase.LIGHT
    challenge = d.flow.session.challenge
    assert challenge is not None and len(challenge.colours) == 8
    for i in range(len(challenge.colours)):
        d.flow.colour_shown(i, d.t + i)
        d.frame((d.oval.cx, d.oval.cy, d.oval.w))
    d.flow.flash_finished(d.t)
    assert d.flow.phase is Phase.VERIFYING
    d.flow.result_ready(Outcome(None, "scoring unavailable"), d.t)
    assert d.flow.phase is Phase.RESULT
    assert d.phases() == [Phase.CAMERA_CHECK, Phase.GUIDANCE, Phase.LIGHT, Phase.VERIFYING, Phase.RESULT]
    assert d.flow.session.outcome is not None and not d.flow.session.outcome.available
    assert Hint.MOVE_CLOSER in d.hints() and Hint.HOLD_STILL in d.hints()


def test_movement_only_shows_head_turn_cues_instead_of_flashes() -> None:
    # Rewritten: the movement-only check used to go straight to scoring; it now has its own cue phase (CUES).
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY))
    d.start()
    assert d.flow.session is not None and d.flow.session.challenge is not None
    challenge = d.flow.session.challenge
    assert challenge.colours == [] and len(challenge.moves) == 3
    d.approach()
    assert d.flow.phase is Phase.CUES and d.flow.phase.is_challenge and d.flow.phase.is_capturing
    o = d.oval
    d.flow.colour_shown(0, d.t)  # a colour report belongs to the LIGHT phase: ignored here
    assert challenge.shown_ns == []
    for i in range(len(challenge.moves)):
        d.flow.cue_shown(i, d.t + i)
        # A turned head leaves the fit (narrower, shifted face box) without leaving the check.
        for _ in range(10):
            d.frame((o.cx + 0.2 * o.w, o.cy, 0.75 * o.w))
    assert d.flow.phase is Phase.CUES
    d.flow.cue_shown(5, d.t)  # out of order: ignored
    d.flow.flash_finished(d.t)  # the end of a flash sequence does not end the cues
    assert d.flow.phase is Phase.CUES
    d.flow.cues_finished(d.t)
    assert d.flow.phase is Phase.VERIFYING
    assert len(challenge.cue_ns) == 3
    assert d.phases() == [Phase.CAMERA_CHECK, Phase.GUIDANCE, Phase.CUES, Phase.VERIFYING]


def test_light_check_ignores_cue_reports() -> None:
    d = Driver()
    d.start()
    d.approach()
    assert d.flow.phase is Phase.LIGHT and d.flow.session is not None and d.flow.session.challenge is not None
    d.flow.cue_shown(0, d.t)
    d.flow.cues_finished(d.t)
    assert d.flow.phase is Phase.LIGHT and d.flow.session.challenge.cue_ns == []


def test_movement_cues_not_all_time_stamped_is_an_error() -> None:
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY))
    d.start()
    d.approach()
    d.flow.cue_shown(0, d.t)
    d.flow.cues_finished(d.t)
    assert d.flow.phase is Phase.ERROR
    assert d.flow.session is not None and d.flow.session.problem is not None
    assert "1 of 3 cues" in d.flow.session.problem.detail


def test_cues_have_a_hard_limit() -> None:
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY))
    d.start()
    d.approach()
    assert d.flow.phase is Phase.CUES
    # frames keep coming, the cues never report their end
    for _ in range(600):
        d.frame((d.oval.cx, d.oval.cy, d.oval.w))
        if d.flow.phase is not Phase.CUES:
            break
    assert d.flow.phase is Phase.ERROR
    assert d.flow.session is not None and d.flow.session.problem is not None
    assert "cue sequence did not finish" in d.flow.session.problem.detail


def test_face_lost_during_cues_restarts_with_fresh_cues() -> None:
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY))
    d.start()
    d.approach()
    assert d.flow.session is not None and d.flow.session.challenge is not None
    old = d.flow.session.challenge
    d.flow.cue_shown(0, d.t)
    assert d.flow.phase is Phase.CUES
    # Rewritten: a face lost for a few frames used to end the cues; a strongly turned head loses it that long.
    for _ in range(55):
        d.frame()  # no face for 1.8 s: still a head turned away
    assert d.flow.phase is Phase.CUES
    d.frame((d.oval.cx + 0.2 * d.oval.w, d.oval.cy, 0.75 * d.oval.w))  # back
    for _ in range(55):
        d.frame()
    assert d.flow.phase is Phase.CUES  # the 2 s count again from the last frame with a face
    for _ in range(10):
        d.frame()  # more than 2 s without a face: gone
    assert d.flow.phase is Phase.GUIDANCE
    new = d.flow.session.challenge
    assert new is not old and new.oval == old.oval and new.cue_ns == [] and len(new.moves) == 3
    restart = [e for e in d.events if isinstance(e, CaptureStarted)][-1]
    assert restart.reason == "left_oval"


def test_two_faces_during_cues_restart_at_once() -> None:
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY))
    d.start()
    d.approach()
    assert d.flow.phase is Phase.CUES
    o = d.oval
    for _ in range(3):
        d.frame((o.cx, o.cy, o.w), (o.cx + 200, o.cy, 0.5 * o.w))
    assert d.flow.phase is Phase.GUIDANCE


def test_hold_still_lasts_about_a_second() -> None:
    d = Driver()
    d.start()
    o = d.oval
    for _ in range(5):
        d.frame((o.cx, o.cy, 0.5 * o.w))
    held = 0
    while d.flow.phase is Phase.GUIDANCE and held < 100:
        d.frame((o.cx, o.cy, o.w))
        held += 1
    assert d.flow.phase is Phase.LIGHT
    assert 28 <= held <= 34  # 1 s at 30 fps (+ smoothing)


# --- retry is a brand-new session ---------------------------------------------------------------


def test_timeout_then_retry_is_a_new_session() -> None:
    d = Driver(FlowConfig(face_fit_timeout_s=2.0))
    d.start()
    first = d.flow.session
    assert first is not None and first.challenge is not None
    o = d.oval
    for _ in range(200):
        d.frame((o.cx, o.cy, 0.4 * o.w))  # never approaches
        if d.flow.phase is Phase.TIMEOUT:
            break
    assert d.flow.phase is Phase.TIMEOUT
    assert first.problem is not None and first.problem.problem is Problem.FACE_FIT_TIMEOUT
    assert first.problem.last_hint is Hint.MOVE_CLOSER
    d.start()
    second = d.flow.session
    assert second is not None and second is not first and second.id != first.id
    assert second.challenge is not None and second.challenge is not first.challenge
    assert second.number == first.number + 1
    assert [c.name for c in second.challenge.colours] != [c.name for c in first.challenge.colours] or (
        second.challenge.oval != first.challenge.oval
    )
    starts = [e for e in d.events if isinstance(e, CaptureStarted)]
    assert [s.session.id for s in starts] == [first.id, second.id]


def test_timeout_counts_only_time_without_a_fit() -> None:
    d = Driver(FlowConfig(face_fit_timeout_s=1.0, hold_still_s=5.0))
    d.start()
    o = d.oval
    for _ in range(5):
        d.frame((o.cx, o.cy, 0.5 * o.w))
    for _ in range(100):  # 3.3 s holding: longer than the fit limit, but the face fits
        d.frame((o.cx, o.cy, o.w))
    assert d.flow.phase is Phase.GUIDANCE


# --- leaving during the flashes ---------------------------------------------------------------


def test_face_leaving_stops_flashing_and_gives_new_colours() -> None:
    d = Driver()
    d.start()
    d.approach()
    assert d.flow.phase is Phase.LIGHT and d.flow.session is not None
    before = d.flow.session.challenge
    assert before is not None
    d.flow.colour_shown(0, d.t)
    d.frame((d.oval.cx, d.oval.cy, d.oval.w))
    for _ in range(3):
        d.frame()  # no face
    assert d.flow.phase is Phase.GUIDANCE
    after = d.flow.session.challenge
    assert after is not None and after is not before and after.oval == before.oval and after.shown_ns == []
    assert d.flow.session.light_restarts == 1
    restart = [e for e in d.events if isinstance(e, CaptureStarted)][-1]
    assert restart.reason == "left_oval" and restart.epoch == 2
    # the gate must be passed again: a face that is already close is told to move back first
    d.frame((d.oval.cx, d.oval.cy, d.oval.w))
    assert d.flow.guidance is not None and d.flow.guidance.hint is Hint.MOVE_BACK


def test_one_stray_frame_does_not_stop_the_flashes() -> None:
    d = Driver()
    d.start()
    d.approach()
    d.frame()
    d.frame((d.oval.cx, d.oval.cy, d.oval.w))
    assert d.flow.phase is Phase.LIGHT


# --- camera problems and deadlines ----------------------------------------------------------------


@pytest.mark.parametrize(
    "size, step, problem",
    [
        ((320, 200), 1, Problem.CAMERA_LOW_RESOLUTION),
        ((160, 120), 1, Problem.CAMERA_LOW_RESOLUTION),
        ((640, 480), 0, Problem.CAMERA_LOW_FPS),  # step 0 -> see below: 10 fps
        ((320, 240), 1, None),
    ],
)
def test_camera_check(size: tuple[int, int], step: int, problem: Problem | None) -> None:
    d = Driver()
    d.flow.start(d.t)
    for _ in range(12):
        if step == 0:  # a 10 fps camera: 100 ms between frames
            d.t += 67 * MS
        d.frame(size=size)
    if problem is None:
        assert d.flow.phase is Phase.GUIDANCE
    else:
        assert d.flow.phase is Phase.ERROR
        assert d.flow.session is not None and d.flow.session.problem is not None
        assert d.flow.session.problem.problem is problem


def test_skipped_frames_do_not_lower_the_measured_rate() -> None:
    d = Driver()
    d.flow.start(d.t)
    for _ in range(12):
        d.frame(step=3)  # the worker sees every third frame of a 30 fps camera
    assert d.flow.phase is Phase.GUIDANCE


def test_camera_that_stops_is_an_error() -> None:
    d = Driver(FlowConfig(stall_timeout_s=1.0))
    d.start()
    d.flow.tick(d.t + 900 * MS)
    assert d.flow.phase is Phase.GUIDANCE
    d.flow.tick(d.t + 1100 * MS)
    assert d.flow.phase is Phase.ERROR
    assert d.flow.session is not None and d.flow.session.problem is not None
    assert d.flow.session.problem.problem is Problem.CAMERA_STALLED


def test_camera_that_never_delivers() -> None:
    d = Driver(FlowConfig(camera_open_timeout_s=2.0))
    d.flow.start(d.t)
    d.flow.tick(d.t + 1900 * MS)
    assert d.flow.phase is Phase.CAMERA_CHECK
    d.flow.tick(d.t + 2100 * MS)
    assert d.flow.phase is Phase.ERROR


def test_camera_failure_is_reported() -> None:
    d = Driver()
    d.flow.start(d.t)
    d.flow.camera_failed(Problem.CAMERA_BUSY, "busy", d.t)
    assert d.flow.phase is Phase.ERROR
    d.flow.camera_failed(Problem.CAMERA_STALLED, "late", d.t)  # ignored outside capture
    assert d.flow.session is not None and d.flow.session.problem is not None
    assert d.flow.session.problem.problem is Problem.CAMERA_BUSY


def test_verifying_has_a_hard_limit() -> None:
    d = Driver(FlowConfig(challenge_type=MOVEMENT_ONLY, verify_timeout_s=2.0))
    d.start()
    d.approach()
    assert d.flow.session is not None and d.flow.session.challenge is not None
    for i in range(len(d.flow.session.challenge.moves)):
        d.flow.cue_shown(i, d.t)
    d.flow.cues_finished(d.t)
    assert d.flow.phase is Phase.VERIFYING
    d.flow.tick(d.t + 2100 * MS)
    assert d.flow.phase is Phase.ERROR
    assert d.flow.session is not None and d.flow.session.problem is not None
    assert d.flow.session.problem.problem is Problem.VERIFY_TIMEOUT
    d.flow.result_ready(Outcome(None, "late"), d.t + 3000 * MS)  # a late result changes nothing
    assert d.flow.phase is Phase.ERROR


def test_flashing_has_a_hard_limit() -> None:
    d = Driver()
    d.start()
    d.approach()
    assert d.flow.phase is Phase.LIGHT
    # frames keep coming, the GUI never reports the end of the sequence
    for _ in range(400):
        d.frame((d.oval.cx, d.oval.cy, d.oval.w))
        if d.flow.phase is not Phase.LIGHT:
            break
    assert d.flow.phase is Phase.ERROR


def test_incomplete_timestamps_are_an_error() -> None:
    d = Driver()
    d.start()
    d.approach()
    d.flow.colour_shown(0, d.t)
    d.flow.flash_finished(d.t)
    assert d.flow.phase is Phase.ERROR


def test_cancel_and_bad_inputs() -> None:
    d = Driver()
    d.start()
    d.flow.cancel(d.t)
    assert d.flow.phase is Phase.START and d.flow.session is None
    with pytest.raises(ValueError, match="challenge type"):
        d.flow.start(d.t, challenge_type="Dance")
    with pytest.raises(ValueError, match="challenge_type"):
        FlowConfig(challenge_type="x")
    with pytest.raises(ValueError, match="positive"):
        FlowConfig(verify_timeout_s=0)


def test_config_from_settings() -> None:
    cfg = FlowConfig.from_settings(Settings(face_fit_timeout_s=3.0, challenge=MOVEMENT_ONLY), verify_timeout_s=5.0)
    assert (cfg.face_fit_timeout_s, cfg.challenge_type, cfg.verify_timeout_s) == (3.0, MOVEMENT_ONLY, 5.0)
    assert FlowConfig.from_settings(Settings()).challenge_type == MOVEMENT_AND_LIGHT


# --- hints -------------------------------------------------------------------------------------

OVAL = Oval(320.0, 240.0, 288.0, 466.0)
DARK = ImageStats(20.0, 25.0, 20.0, 0.0, 50.0)
BRIGHT = ImageStats(230.0, 240.0, 230.0, 0.5, 50.0)
BACKLIT = ImageStats(170.0, 80.0, 220.0, 0.0, 50.0)
BLURRY = ImageStats(120.0, 130.0, 110.0, 0.0, 2.0)


@pytest.mark.parametrize(
    "faces, stats, gate, expected",
    [
        ((), GOOD, True, Hint.NO_FACE),
        (((200, 240, 150), (440, 240, 150)), GOOD, True, Hint.MULTIPLE_FACES),
        (((320, 240, 288),), DARK, True, Hint.TOO_DARK),
        (((320, 240, 288),), BRIGHT, True, Hint.TOO_BRIGHT),
        (((320, 240, 288),), BACKLIT, True, Hint.BACKLIT),
        (((320, 240, 150),), GOOD, True, Hint.MOVE_CLOSER),
        (((320, 240, 150),), GOOD, False, Hint.MOVE_CLOSER),  # far face opens the gate itself
        (((320, 240, 250),), GOOD, False, Hint.MOVE_BACK),  # start-far gate
        (((320, 240, 400),), GOOD, True, Hint.MOVE_BACK),  # too close
        (((320, 240, 600),), GOOD, True, Hint.MOVE_BACK),  # far too close
        (((420, 240, 288),), GOOD, True, Hint.CENTRE),
        (((320, 240, 288),), BLURRY, True, Hint.BLURRED),
        (((320, 240, 288),), GOOD, True, Hint.HOLD_STILL),
        (((320, 240, 250),), GOOD, True, Hint.HOLD_STILL),
    ],
)
def test_hint_table(faces: tuple, stats: ImageStats, gate: bool, expected: Hint) -> None:
    hint, _fit, _gate = assess_frame(landmarks(0, *faces), stats, OVAL, far_gate_passed=gate)
    assert hint is expected


@pytest.mark.parametrize("width", np.linspace(200, 1200, 41))
@pytest.mark.parametrize("dx", [-150.0, -60.0, 0.0, 60.0, 150.0])
def test_a_too_close_face_is_never_told_to_move_closer(width: float, dx: float) -> None:
    lm = landmarks(0, (320 + dx, 240, width))
    face = lm.face
    assert face is not None
    fit = fit_state(face.fit_box, OVAL)
    for gate in (False, True):
        hint, _, _ = assess_frame(lm, GOOD, OVAL, far_gate_passed=gate)
        if fit.too_close or fit.size_ratio >= 1.0:
            assert hint is not Hint.MOVE_CLOSER
        if fit.too_close:
            assert hint is Hint.MOVE_BACK


def test_hints_do_not_flicker() -> None:
    tracker = GuidanceTracker(OVAL, GuidanceThresholds(smoothing_frames=3))
    seen = []
    pattern = [(320, 240, 150)] * 3 + [(320, 240, 288)] + [(320, 240, 150)] * 2 + [(320, 240, 288)] * 5
    for i, face in enumerate(pattern):
        seen.append(tracker.update(landmarks(i * FPS30, face), GOOD).hint)
    assert seen[:6] == [Hint.MOVE_CLOSER] * 6
    assert seen[-1] is Hint.HOLD_STILL


def test_motion_blocks_readiness() -> None:
    tracker = GuidanceTracker(OVAL)
    tracker.far_gate_passed = True
    g1 = tracker.update(landmarks(0, (320, 240, 288)), GOOD)
    g2 = tracker.update(landmarks(FPS30, (340, 240, 288)), GOOD)  # 20 px in 33 ms: moving
    assert g1.ready and g2.moving and not g2.ready


# --- image statistics ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def face_image() -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    rgb = skimage_data.astronaut()
    canvas = np.full((480, 640, 3), 110, np.uint8)
    canvas[:, 80:560] = cv2.resize(np.ascontiguousarray(rgb[:, :, ::-1]), (480, 480))
    return canvas


FACE_BOX = Box(230.0, 60.0, 160.0, 200.0)


def test_image_statistics_see_light_and_blur(face_image: np.ndarray) -> None:
    normal = measure_image(face_image, FACE_BOX)
    dark = measure_image((face_image * 0.15).astype(np.uint8), FACE_BOX)
    bright = measure_image(np.clip(face_image.astype(np.int32) * 3, 0, 255).astype(np.uint8), FACE_BOX)
    blurred = measure_image(cv2.GaussianBlur(face_image, (0, 0), 6), FACE_BOX)
    t = GuidanceThresholds()
    assert normal.face_luma > t.dark_luma and dark.face_luma < t.dark_luma
    assert bright.face_luma > t.bright_luma or bright.face_clipped > t.clipped_fraction
    assert normal.sharpness > t.blur_sharpness > blurred.sharpness
    assert all(0 <= v <= 255 for v in normal.face_bgr)
    none = measure_image(face_image, None)
    assert math.isnan(none.face_luma) and none.background_luma == none.frame_luma
    off = measure_image(face_image, Box(-500, -500, 10, 10))
    assert math.isnan(off.face_luma)


def test_stall_deadline_follows_the_camera_not_a_busy_consumer() -> None:
    d = Driver(FlowConfig(stall_timeout_s=1.0))
    d.start()
    d.flow.frames_alive(d.t + 900 * MS)  # frames keep arriving, their analysis is still queued
    d.flow.tick(d.t + 1500 * MS)
    assert d.flow.phase is Phase.GUIDANCE
    d.flow.tick(d.t + 2000 * MS)
    assert d.flow.phase is Phase.ERROR
