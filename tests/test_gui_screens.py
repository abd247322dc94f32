"""GUI screens and flow side effects with a scripted camera and scripted landmarks (fast, deterministic).

The "puppet" source delivers textured frames at 30 fps; the puppet landmark
stage reports faces placed relative to the session's oval (told through
``set_oval`` like the simulator), so each test decides what the user does.
The real simulator is used in ``test_gui_flow.py``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QProgressBar, QWidget

from app.core.capture.base import FrameSource, monotonic_ns
from app.core.capture.devices import CameraDevice
from app.core.capture.frame import Frame, SourceInfo
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Box, Oval
from app.core.errors import CameraBusy
from app.core.check.flow import FlowConfig, Phase, Problem
from app.core.guidance import Hint
from app.core.landmarks import FaceLandmarks, LandmarkResult
from app.core.scoring.contract import ImageOut, LivenessResult, SessionContext
from app.core.settings import Settings, load_settings
from app.gui.controller import CheckController
from app.gui.preview import RasterCanvas
from app.gui.settings_dialog import SettingsDialog
from app.gui.widgets import ClickableImage
from app.gui.window import MainWindow
from landmark_puppets import face_points

pytestmark = pytest.mark.gui

TEXTURE = np.random.default_rng(0).integers(70, 190, (480, 640, 3), dtype=np.uint8)




class Puppet:
    """What the scripted user does: ``far``, ``approach``, ``fit``, ``near``, ``none`` or ``two``."""

    def __init__(self, mode: str = "far") -> None:
        self.oval: Oval | None = None
        self._lock = threading.Lock()
        self.mode = mode
        self.since = monotonic_ns()
        self.ovals: list[Oval] = []

    def act(self, mode: str) -> None:
        with self._lock:
            self.mode, self.since = mode, monotonic_ns()

    def faces(self, t_ns: int) -> list[tuple[float, float, float]]:
        with self._lock:
            mode, since, oval = self.mode, self.since, self.oval
        if oval is None or mode == "none":
            return []
        if mode == "two":
            return [(oval.cx - 120, oval.cy, 0.4 * oval.w), (oval.cx + 120, oval.cy, 0.4 * oval.w)]
        if mode == "far":
            return [(oval.cx, oval.cy, 0.5 * oval.w)]
        if mode == "near":
            return [(oval.cx, oval.cy, 1.4 * oval.w)]
        if mode == "fit":
            return [(oval.cx, oval.cy, oval.w)]
        grow = min(1.0, (t_ns - since) / 0.5e9)  # approach: 0.5 s from far to fitting
        return [(oval.cx, oval.cy, (0.5 + 0.5 * grow) * oval.w)]


class PuppetSource(FrameSource):
    """Textured frames paced at ``fps``; ``set_oval`` informs the puppet."""

    def __init__(self, puppet: Puppet, *, size: tuple[int, int] = (640, 480), fps: float = 30.0) -> None:
        super().__init__()
        self.puppet = puppet
        self.size = size
        self.period = 1.0 / fps
        self.index = 0
        self.info = SourceInfo(kind="sim", name="puppet", width=size[0], height=size[1], fps=fps)
        w, h = size
        self.image = np.ascontiguousarray(np.resize(TEXTURE, (h, w, 3)))
        self._next = 0.0

    def open(self) -> None:
        self._next = time.monotonic()

    def read(self, timeout: float = 2.0) -> Frame:
        self._next += self.period
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing a fake camera (not a test sleep)
        frame = Frame(self.image, monotonic_ns(), self.index)
        self.index += 1
        return self._note(frame)

    def close(self) -> None:
        pass

    def set_oval(self, oval: Oval) -> None:
        self.puppet.oval = oval
        self.puppet.ovals.append(oval)


class PuppetStage:
    """Landmark stage stand-in: faces from the puppet."""

    def __init__(self, puppet: Puppet) -> None:
        self.puppet = puppet

    def process(self, frame: Frame) -> LandmarkResult:
        faces = tuple(FaceLandmarks.from_points(face_points(*f)) for f in self.puppet.faces(frame.t_ns))
        return LandmarkResult(frame.index, frame.t_ns, faces, 0.1)

    def close(self) -> None:
        pass


class FakeAnalyzer:
    """Returns a fixed decision with a reference and audit images (a stand-in for the scoring pipeline)."""

    def __init__(self, context: SessionContext, decision: str = "pass", hang: threading.Event | None = None) -> None:
        self.context = context
        self.decision = decision
        self.frames: list[Frame] = []
        self.hang = hang

    def add(self, frame: Frame, landmarks: LandmarkResult) -> None:
        self.frames.append(frame)

    def finish(self) -> LivenessResult:
        if self.hang is not None:
            self.hang.wait(10)
        ref = ImageOut(self.frames[-1].image, Box(200, 100, 200, 260), self.frames[-1].index, self.frames[-1].t_ns)
        return LivenessResult(
            session_id=self.context.session_id,
            status="SUCCEEDED",
            confidence=91.0 if self.decision == "pass" else 12.0,
            decision=self.decision,
            threshold=self.context.threshold,
            checks=[],
            reasons=["Scripted reason one.", "Scripted reason two."],
            challenge=self.context.challenge,
            reference=ref,
            audit=[ref, ref],
            frame_size=(640, 480),
        )


FAST = FlowConfig(
    face_fit_timeout_s=5.0,
    hold_still_s=0.3,
    camera_check_frames=4,
    camera_check_min_s=0.1,
    verify_timeout_s=5.0,
    light_leave_frames=2,
)


@pytest.fixture
def build(qtbot, tmp_path: Path, show_window) -> Iterator[Callable[..., MainWindow]]:
    """Factory of windows wired to a puppet; closes them (and joins their threads) afterwards."""

    def make(
        puppet: Puppet,
        *,
        settings: Settings | None = None,
        config: FlowConfig = FAST,
        analyzer: Callable[[SessionContext], object] | None = None,
        source: Callable[[str, object], FrameSource] | None = None,
        spec: str | None = "puppet:",
        devices: list[CameraDevice] | None = None,
        kiosk: bool = False,
        demo: bool = False,
        size: tuple[int, int] = (640, 480),
        fps: float = 30.0,
    ) -> MainWindow:
        controller = CheckController(
            settings=settings or Settings(),
            source_spec=spec,
            flow_config=config,
            source_factory=source or (lambda s, screen: PuppetSource(puppet, size=size, fps=fps)),
            landmarks_factory=lambda: PuppetStage(puppet),
            analyzer_factory=analyzer or (lambda ctx: FakeAnalyzer(ctx)),
            recordings_dir=tmp_path / "recordings",
        )
        window = MainWindow(
            controller=controller,
            settings_path=tmp_path / "settings.json",
            kiosk=kiosk,
            demo=demo,
            canvas=RasterCanvas(),
            attract_after_s=0.3,
            camera_lister=lambda: list(devices or []),
        )
        return show_window(window, 900, 640)

    yield make


def wait_page(qtbot, window: MainWindow, name: str, timeout: int = 40000) -> None:
    qtbot.waitUntil(lambda: window.page_name == name, timeout=timeout)


def approach_to_result(qtbot, window: MainWindow, puppet: Puppet, challenge: str = MOVEMENT_ONLY) -> None:
    window.start_check(challenge_type=challenge)
    wait_page(qtbot, window, "guidance")
    qtbot.waitUntil(lambda: window.guidance_page.current_hint is Hint.MOVE_CLOSER, timeout=5000)
    puppet.act("approach")


# --- the flow through the screens ----------------------------------------------------------------


def test_light_check_flashes_every_colour_then_passes(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet)
    approach_to_result(qtbot, window, puppet, MOVEMENT_AND_LIGHT)
    wait_page(qtbot, window, "light")
    page = window.guidance_page
    # The preview keeps its size and place: header and footer stay, with a steady instruction and a visible Stop.
    assert page.header.isVisible() and page.footer.isVisible()
    assert page.hint.text() == "Keep your face in the oval"
    assert page.cancel.isVisible() and page.cancel.text() == "Stop"
    qtbot.waitUntil(lambda: page.progress.value() > 0, timeout=5000)  # the thin bar follows the colours
    wait_page(qtbot, window, "result", timeout=15000)
    session = window.controller.session
    assert session is not None and session.challenge is not None
    shown = session.challenge.shown_ns
    assert len(shown) == len(session.challenge.colours) == 8
    assert all(b > a for a, b in zip(shown, shown[1:]))
    assert session.challenge.timing_source.startswith("QWidget.paintEvent")
    events = window.controller.screen.events()
    flashes = [e for e in events if e.t_ns in shown]
    assert [e.rgb for e in flashes] == [c.rgb for c in session.challenge.colours]
    # Each colour wipes in its own direction at its own level (linear light; no attenuation set here).
    assert [(e.direction, e.gain) for e in flashes] == [(c.direction, c.level) for c in session.challenge.colours]
    assert events[-1].rgb == (40, 40, 40)  # neutral again after the last colour
    page = window.result_page
    assert page.verdict.text() == "PASS"
    assert not page.try_again.isVisible()  # a PASS is never offered another try
    # The customer faces the screen: evidence only in the staff view (no PIN set here, so it opens at once).
    assert not page.plots_box.isVisible() and not page.reasons.isVisible()
    qtbot.mouseClick(page.staff_button, Qt.MouseButton.LeftButton)
    assert page.staff_visible and page.plots_box.isVisible() and page.reasons.isVisible()
    assert page.confidence.isVisible() and "Confidence" in page.confidence.text()  # staff see the number


def test_movement_check_shows_the_cues_in_their_own_phase(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet)
    pages: list[str] = []
    window.pageShown.connect(pages.append)
    arrows: list[object] = []  # the arrow after each cue change: up on a cue, gone in the pause after it
    window.controller.cueChanged.connect(lambda direction, index: arrows.append((index, window.canvas.renderer.turn_cue)))
    approach_to_result(qtbot, window, puppet, MOVEMENT_ONLY)
    wait_page(qtbot, window, "cues")
    assert window.controller.phase is Phase.CUES
    page = window.guidance_page
    # No colours: the instruction bar stays and the preview shows an arrow beside the oval for each cue.
    assert page.header.isVisible() and page.footer.isVisible() and not window.flash.active
    qtbot.waitUntil(lambda: window.canvas.renderer.turn_cue in ("left", "right"), timeout=20000)  # a loaded machine delivers the first cue late
    assert window.canvas.renderer.turn_cue.upper() in page.hint.text()
    wait_page(qtbot, window, "result", timeout=20000)
    session = window.controller.session
    assert session is not None and session.challenge is not None
    assert len(session.challenge.cue_ns) == len(session.challenge.moves) == 3
    assert session.challenge.shown_ns == [] and "light" not in pages
    assert pages.index("cues") < pages.index("verifying") < pages.index("result")
    assert window.canvas.renderer.turn_cue is None
    directions = [m.direction for m in session.challenge.moves]
    assert arrows == [x for i, d in enumerate(directions) for x in ((i, d), (i, None))] + [(-1, None)]


def test_flash_attenuation_is_applied(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet, settings=Settings(flash_attenuation=0.5))
    approach_to_result(qtbot, window, puppet, MOVEMENT_AND_LIGHT)
    with qtbot.waitSignal(window.flash.colourShown, timeout=8000):
        pass
    qtbot.waitUntil(lambda: any(e.gain < 1.0 for e in window.controller.screen.events()), timeout=3000)
    # The attenuation's gain times each step's brightness level.
    steps = {c.rgb: c for c in window.controller.session.challenge.colours}
    levels = {c.level for c in window.controller.session.challenge.colours}
    flashed = [e for e in window.controller.screen.events() if e.rgb != (40, 40, 40)]
    assert flashed and all(any(e.gain == pytest.approx(0.5 * lv) for lv in levels) for e in flashed)
    assert all(e.rgb in steps for e in flashed)
    window.go_home()


def test_face_leaving_stops_the_flashes_and_returns_to_guidance(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet)
    approach_to_result(qtbot, window, puppet, MOVEMENT_AND_LIGHT)
    wait_page(qtbot, window, "light")
    session = window.controller.session
    assert session is not None
    first = session.challenge
    qtbot.waitUntil(lambda: first is not None and len(first.shown_ns) >= 2, timeout=5000)
    with qtbot.waitSignal(window.pageShown, check_params_cb=lambda n: n == "guidance", timeout=5000):
        puppet.act("none")
    assert not window.flash.active
    assert window.controller.screen.events()[-1].rgb == (40, 40, 40)
    assert session.challenge is not first and session.challenge is not None and session.challenge.shown_ns == []
    assert session.light_restarts == 1
    assert window.guidance_page.header.isVisible()
    assert window.guidance_page.notice.isVisible() and "left the oval" in window.guidance_page.notice.text()
    window.go_home()


def test_scoring_unavailable_is_never_a_pass(qtbot, build) -> None:
    def missing(ctx: SessionContext) -> object:
        raise ImportError("No module named 'app.core.scoring.pipeline'")

    puppet = Puppet()
    window = build(puppet, analyzer=missing)
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    assert window.result_page.verdict.text() == "NOT COMPLETED"
    assert window.result_page.staff_verdict.text() == "Scoring unavailable"
    assert "not installed" in window.result_page.reasons.text()
    assert "PASS" not in window.result_page.verdict.text()


def test_a_check_without_a_decision_asks_to_try_again_not_fail(qtbot, build) -> None:
    """A non-response (e.g. an over-exposed face) is neither a pass nor an accusation of an attack."""

    class NoDecision(FakeAnalyzer):
        def finish(self) -> LivenessResult:
            res = super().finish()
            return dataclasses.replace(res, status="FAILED", decision="fail", confidence=0.0,
                                       reasons=["The face was over-exposed: reduce the light falling on the face and try again."])

    puppet = Puppet()
    window = build(puppet, analyzer=lambda ctx: NoDecision(ctx, "fail"))
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    page = window.result_page
    assert page.verdict.text() == "TRY AGAIN"
    assert "could not be completed" in page.explanation.text()
    assert page.tips_box.isVisible() and page.try_again.isVisible()
    assert "reduce the light" in page.reasons.text() and not page.reasons.isVisible()  # the reason is for staff
    assert page.staff_verdict.text() == "No decision" and "2 more tries" in page.staff_action.text()


def test_a_failing_analyzer_is_reported_not_passed(qtbot, build) -> None:
    class Broken(FakeAnalyzer):
        def finish(self) -> LivenessResult:
            raise RuntimeError("boom")

    puppet = Puppet()
    window = build(puppet, analyzer=lambda ctx: Broken(ctx))
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    assert window.result_page.staff_verdict.text() == "Scoring unavailable"
    assert "boom" in window.result_page.reasons.text()


def test_verifying_never_hangs(qtbot, build) -> None:
    release = threading.Event()
    puppet = Puppet()
    window = build(puppet, config=dataclasses.replace(FAST, verify_timeout_s=1.0), analyzer=lambda ctx: FakeAnalyzer(ctx, hang=release))
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "verifying")
    wait_page(qtbot, window, "error", timeout=6000)
    session = window.controller.session
    assert session is not None and session.problem is not None and session.problem.problem is Problem.VERIFY_TIMEOUT
    assert window.problem_page.try_again.isVisible()
    release.set()


def test_fail_result_with_images_and_demo_details(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet, analyzer=lambda ctx: FakeAnalyzer(ctx, "fail"), demo=True)
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    page = window.result_page
    assert page.verdict.text() == "FAIL"
    assert page.confidence.isVisible() and "12" in page.confidence.text()
    assert "Scripted reason one." in page.reasons.text()
    visible = [t for t in page.audit if t.isVisible()]
    assert len(visible) == 2
    with qtbot.waitSignal(page.imageOpened, timeout=2000) as opened:
        qtbot.mouseClick(visible[1], Qt.MouseButton.LeftButton)
    assert opened.args == ["Audit image 2"]
    page._dialog.close()  # type: ignore[union-attr]


def test_new_check_and_try_again_start_new_sessions(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet, analyzer=lambda ctx: FakeAnalyzer(ctx, "fail"))
    approach_to_result(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    first = window.controller.session
    assert first is not None
    puppet.act("far")
    qtbot.mouseClick(window.result_page.try_again, Qt.MouseButton.LeftButton)
    wait_page(qtbot, window, "guidance")
    second = window.controller.session
    assert second is not None and second.id != first.id and second.challenge is not first.challenge
    assert len(puppet.ovals) == 2
    window.go_home()
    wait_page(qtbot, window, "start")


# --- hints ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, hint, words",
    [
        ("none", Hint.NO_FACE, "Move your face in front of the camera"),
        ("two", Hint.MULTIPLE_FACES, "only one face"),
        ("near", Hint.MOVE_BACK, "Too close: move back"),
        ("far", Hint.MOVE_CLOSER, "Move closer"),
    ],
)
def test_hints_are_shown_and_announced(qtbot, build, mode: str, hint: Hint, words: str) -> None:
    puppet = Puppet(mode)
    window = build(puppet)
    window.start_check(challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, window, "guidance")
    qtbot.waitUntil(lambda: window.guidance_page.current_hint is hint, timeout=5000)
    label = window.guidance_page.hint
    assert words in label.text()
    assert label.accessibleDescription() == label.text()
    window.go_home()


def test_face_fit_time_out_explains_why(qtbot, build) -> None:
    puppet = Puppet("far")
    window = build(puppet, config=dataclasses.replace(FAST, face_fit_timeout_s=1.0))
    window.start_check(challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, window, "timeout")
    assert window.problem_page.title.text() == "Time out"
    assert "fit inside the oval" in window.problem_page.body.text()
    assert "move closer" in window.problem_page.body.text()
    assert window.problem_page.try_again.hasFocus() or not window.isActiveWindow()


# --- camera problems -----------------------------------------------------------------------------


def busy_source(spec: str, screen: object) -> FrameSource:
    raise CameraBusy("camera 'X' could not be opened")


@pytest.mark.parametrize(
    "kwargs, problem, title",
    [
        ({"source": busy_source}, Problem.CAMERA_BUSY, "The camera cannot be opened"),
        ({"spec": None}, Problem.CAMERA_NOT_FOUND, "No camera found"),
        ({"fps": 8.0}, Problem.CAMERA_LOW_FPS, "The camera is too slow"),
        ({"size": (160, 120)}, Problem.CAMERA_LOW_RESOLUTION, "The camera picture is too small"),
    ],
)
def test_camera_errors_have_clear_text_and_try_again(qtbot, build, kwargs: dict, problem: Problem, title: str) -> None:
    window = build(Puppet(), **kwargs)
    window.start_check(challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, window, "error")
    session = window.controller.session
    assert session is not None and session.problem is not None and session.problem.problem is problem
    assert window.problem_page.title.text() == title
    page = window.problem_page
    if problem is Problem.CAMERA_LOW_RESOLUTION:
        # Another try with the same camera cannot help: the main action is back to the start (choose another camera).
        assert not page.try_again.isVisible() and page.home.isVisible() and page.home.isDefault()
    else:
        assert page.try_again.isVisible() and page.try_again.isEnabled() and page.try_again.isDefault()


def test_virtual_cameras_are_marked_and_refused(qtbot, build) -> None:
    devices = [
        CameraDevice(0, "OBS Virtual Camera", virtual=True, virtual_reason="the device name matches 'obs'"),
        CameraDevice(1, "Integrated Camera"),
    ]
    window = build(Puppet(), spec=None, devices=devices, settings=Settings(camera="camera:0"))
    page = window.start_page
    assert "(virtual camera)" in page.camera.itemText(page.camera.findData("camera:0"))
    assert page.camera.currentData() == "camera:0"
    assert not page.start.isEnabled() and page.camera_note.isVisible()
    assert "obs" in page.camera_note.text()
    window.start_check(spec="camera:0", challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, window, "error")
    assert window.problem_page.title.text() == "Virtual camera refused"
    assert window.problem_page.staff_note.isVisible() and "virtual camera" in window.problem_page.staff_note.text()
    assert not window.problem_page.try_again.isVisible()  # the same camera would be refused again
    page.camera.setCurrentIndex(page.camera.findData("camera:1"))
    assert page.start.isEnabled()


def test_chosen_camera_is_remembered(qtbot, build, tmp_path: Path) -> None:
    devices = [CameraDevice(0, "Integrated Camera"), CameraDevice(1, "USB Camera")]
    window = build(Puppet(), spec=None, devices=devices, source=lambda s, screen: PuppetSource(Puppet()))
    page = window.start_page
    page.camera.setCurrentIndex(page.camera.findData("camera:1"))
    page.movement_choice.setChecked(True)
    qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / "settings.json").is_file() and load_settings(tmp_path / "settings.json").camera == "camera:1", timeout=3000)
    assert load_settings(tmp_path / "settings.json").challenge == MOVEMENT_ONLY
    window.go_home()


# --- keyboard, accessibility, settings ---------------------------------------------------------------


def test_keyboard_only_start_and_cancel(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet)
    window.activateWindow()
    assert window.start_page.start.isDefault()
    window.countdown_s = 1
    window.start_page.start.setFocus()
    qtbot.keyClick(window.start_page.start, Qt.Key.Key_Space)
    ready = window.get_ready_page
    assert window.page_name == "get_ready"
    assert ready.consent.hasFocus() or not window.isActiveWindow()  # focus needs an active window
    ready.consent.setFocus()
    qtbot.keyClick(ready.consent, Qt.Key.Key_Space)
    ready.begin.setFocus()
    qtbot.keyClick(ready.begin, Qt.Key.Key_Space)
    wait_page(qtbot, window, "camera_check")
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wait_page(qtbot, window, "start")


def _unnamed(root: QWidget) -> list[str]:
    kinds = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QProgressBar, ClickableImage)
    found = []
    for w in root.findChildren(QWidget):
        inner = isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox))  # part of a named control
        if isinstance(w, kinds) and not inner and not w.accessibleName():
            found.append(f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}")
    return found


def test_every_control_has_an_accessible_name(qtbot, build) -> None:
    window = build(Puppet(), devices=[CameraDevice(0, "Integrated Camera")])
    assert _unnamed(window) == []
    dialog = SettingsDialog(Settings(), devices=[], parent=window)
    qtbot.addWidget(dialog)
    assert _unnamed(dialog) == []


def test_settings_dialog_saves_every_field(qtbot, build, tmp_path: Path) -> None:
    window = build(Puppet())
    path = tmp_path / "saved.json"
    dialog = SettingsDialog(Settings(), devices=[CameraDevice(2, "USB Camera")], path=path, parent=window)
    qtbot.addWidget(dialog)
    dialog.threshold.setValue(75)
    dialog.audit.setValue(2)
    dialog.challenge.setCurrentIndex(dialog.challenge.findData(MOVEMENT_ONLY))
    dialog.attenuation.setValue(40)
    dialog.camera.setCurrentIndex(dialog.camera.findData("camera:2"))
    dialog.recordings.setChecked(True)
    dialog.mode.setCurrentIndex(dialog.mode.findData("demo"))
    dialog.kiosk_reset.setValue(20)
    dialog.pin.setText("246802")
    dialog.pin_again.setText("246802")
    with qtbot.waitSignal(dialog.saved, timeout=20000):
        dialog._on_save()
    saved = load_settings(path)
    assert (saved.threshold, saved.audit_images, saved.challenge, saved.flash_attenuation) == (75, 2, MOVEMENT_ONLY, 0.4)
    assert (saved.camera, saved.keep_recordings, saved.mode, saved.kiosk_reset_s) == ("camera:2", True, "demo", 20)
    from app.gui.pin import verify_pin

    assert saved.kiosk_pin_hash and verify_pin("246802", saved.kiosk_pin_hash)


@pytest.mark.parametrize("pin", ["2468", "24680", "abcdef", "１２３４５６"])
def test_a_new_pin_needs_six_digits(qtbot, build, tmp_path: Path, pin: str) -> None:
    window = build(Puppet())
    dialog = SettingsDialog(Settings(), devices=[], path=tmp_path / "x.json", parent=window)
    qtbot.addWidget(dialog)
    dialog.pin.setText(pin)
    dialog.pin_again.setText(pin)
    dialog._on_save()
    assert "6 to 64 digits" in dialog.message.text() and not (tmp_path / "x.json").exists()


def test_mismatched_pins_are_refused(qtbot, build, tmp_path: Path) -> None:
    window = build(Puppet())
    dialog = SettingsDialog(Settings(), devices=[], path=tmp_path / "x.json", parent=window)
    qtbot.addWidget(dialog)
    dialog.pin.setText("1234")
    dialog.pin_again.setText("4321")
    dialog._on_save()
    assert "differ" in dialog.message.text() and not (tmp_path / "x.json").exists()


def test_recording_is_saved_when_the_setting_says_so(qtbot, build, tmp_path: Path) -> None:
    from app.core.recording import Recording

    puppet = Puppet()
    window = build(puppet, settings=Settings(keep_recordings=True))
    with qtbot.waitSignal(window.controller.recordingSaved, timeout=15000) as saved:
        approach_to_result(qtbot, window, puppet)
    path = Path(saved.args[0])
    assert path.parent == tmp_path / "recordings"
    with Recording(path) as rec:
        assert rec.meta.frame_count > 5
        assert rec.meta.challenge["type"] == MOVEMENT_ONLY
        assert rec.meta.extra["session_id"] == window.controller.session.id  # type: ignore[union-attr]


def test_qt_calls_do_not_exhaust_singleton_refcounts(qtbot) -> None:
    """PySide6 6.12 on CPython 3.11 drops a reference to None per void call and to True per emit."""
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Beeper(QObject):
        beeped = Signal()

    label, beeper = QLabel(), Beeper()
    qtbot.addWidget(label)
    beeper.beeped.connect(lambda: None)
    for _ in range(60_000):  # more than the initial counts of None and True on 3.11
        label.setText("x")
        beeper.beeped.emit()
    assert label.text() == "x"


# --- get ready and countdown -------------------------------------------------------------------------


def test_start_leads_through_get_ready_consent_and_a_countdown(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet, settings=Settings(retention_days=14, keep_recordings=True))
    window.countdown_s = 1
    qtbot.mouseClick(window.start_page.start, Qt.MouseButton.LeftButton)
    assert window.page_name == "get_ready"
    page = window.get_ready_page
    assert window.controller.session is None  # the camera does not start before consent
    assert not page.begin.isEnabled() and not page.consent.isChecked()
    assert "14 days" in page.privacy.text() and "video" in page.privacy.text()
    assert page.warning.isVisible()  # the default check flashes
    qtbot.mouseClick(page.consent, Qt.MouseButton.LeftButton)
    assert page.begin.isEnabled()
    qtbot.mouseClick(page.begin, Qt.MouseButton.LeftButton)
    assert window.page_name == "countdown" and window.countdown_page.number.text() == "1"
    wait_page(qtbot, window, "guidance")
    assert window.controller.session is not None
    window.go_home()
    wait_page(qtbot, window, "start")


def test_get_ready_without_flashing_and_escape_goes_back(qtbot, build) -> None:
    window = build(Puppet())
    window.start_page.movement_choice.setChecked(True)
    qtbot.mouseClick(window.start_page.start, Qt.MouseButton.LeftButton)
    page = window.get_ready_page
    assert window.page_name == "get_ready" and not page.warning.isVisible()
    assert "video is not kept" in page.privacy.text()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.page_name == "start" and window.controller.session is None
