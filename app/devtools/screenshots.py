"""``livegate screenshots OUTDIR``: drive the real GUI with ``sim:`` sources and save a PNG of every screen.

Each scenario builds a fresh window with a simulated camera (``sim:live`` with
a behaviour, sometimes seen through an image filter such as "too dark" or
"blurred" that plays the role of a bad room or lens), waits on the flow
until the screen of interest is showing, and grabs the window. Screens that
need a fault the simulator does not produce (a busy camera, a missing model, a
scoring that hangs) use small stand-ins defined here; each is named in
``index.txt`` next to the images.

Every window gets its own temporary session store, as in the app (where
``run_gui`` always opens one), so the screens show what users see (the
History button, checks stored as sessions). The stores are deleted at the end.

Run it under a display (``xvfb-run -a -s "-screen 0 1366x768x24"``); with
``--small DIR`` it also writes commit-ready copies under 150 KB.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QBuffer, QCoreApplication, QEventLoop, QIODevice, Qt, QTimer
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication, QWidget

from app.core.capture.base import FrameSource
from app.core.capture.devices import CameraDevice
from app.core.capture.frame import Frame
from app.core.capture.spec import open_source
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Oval
from app.core.errors import CameraBusy, ConfigError, ModelError, StoreError
from app.core.check.flow import FlowConfig
from app.core.guidance import Hint
from app.core.scoring.contract import Analyzer, LivenessResult, SessionContext
from app.core.screen import ScreenState
from app.core.sessions import ManualClock
from app.core.sessions.service import SessionService
from app.core.settings import Settings
from app.gui.controller import CheckController
from app.core.check.capture import default_analyzer_factory
from app.gui.window import MainWindow

log = logging.getLogger(__name__)

SIZE = (1100, 720)


# --- sources that play a bad room, a bad lens or a weak camera -------------------------------------


class FilteredSource(FrameSource):
    """Another source seen through an image filter (``filter(image, oval) -> image``)."""

    def __init__(self, inner: FrameSource, image_filter: Callable[[np.ndarray, Oval | None], np.ndarray]) -> None:
        super().__init__()
        self.inner = inner
        self.image_filter = image_filter
        self.oval: Oval | None = None
        self.info = inner.info

    def open(self) -> None:
        """Open the inner source."""
        self.inner.open()
        self.info = self.inner.info

    def read(self, timeout: float = 2.0) -> Frame:
        """The inner source's next frame, filtered."""
        frame = self.inner.read(timeout)
        image = np.ascontiguousarray(self.image_filter(frame.image, self.oval), dtype=np.uint8)
        return self._note(Frame(image, frame.t_ns, frame.index))

    def close(self) -> None:
        """Close the inner source."""
        self.inner.close()

    def set_oval(self, oval: Oval) -> None:
        """Remember the oval (some filters use it) and pass it on."""
        self.oval = oval
        if hasattr(self.inner, "set_oval"):
            self.inner.set_oval(oval)


class SlowSource(FilteredSource):
    """Delivers every frame of the inner source renumbered so it looks like a camera of ``fps``."""

    def __init__(self, inner: FrameSource, fps: float) -> None:
        super().__init__(inner, lambda image, oval: image)
        self.period = 1.0 / fps
        self._count = 0
        self._next = 0.0

    def read(self, timeout: float = 2.0) -> Frame:
        """The next frame, delivered no faster than the slow camera's rate."""
        if self._next == 0.0:
            self._next = time.monotonic()
        self._next += self.period
        frame = super().read(timeout)
        wait = self._next - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # a slow camera makes its reader wait
        self._count += 1
        return Frame(frame.image, frame.t_ns, self._count)


def darker(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """A dark room: 12 % of the light."""
    return (image.astype(np.float32) * 0.12).astype(np.uint8)


def brighter(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """Direct sunlight: the picture blows out."""
    return np.clip(image.astype(np.float32) * 2.6 + 40, 0, 255).astype(np.uint8)


def backlit(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """A dim face in front of a bright window: the room outside the oval is blown out."""
    out = image.astype(np.float32) * 0.55
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    if oval is not None:
        cv2.ellipse(mask, (int(oval.cx), int(oval.cy)), (int(oval.w * 0.62), int(oval.h * 0.6)), 0, 0, 360, 255, -1)
    window = mask == 0
    out[window] = 0.35 * out[window] + 0.65 * 245.0
    return np.clip(out, 0, 255).astype(np.uint8)


def blurred(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """A smeared or out-of-focus lens."""
    return cv2.GaussianBlur(image, (0, 0), 7)


def shifted(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """The camera points beside the user: the face lands off the oval."""
    w = image.shape[1]
    m = np.float32([[1, 0, -0.22 * w], [0, 1, 0]])
    return cv2.warpAffine(image, m, (w, image.shape[0]), borderMode=cv2.BORDER_REPLICATE)


def empty_room(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """Nobody in front of the camera: the frame's top band (the wall) stretched over the frame."""
    band = image[: max(8, image.shape[0] // 10)]
    return cv2.resize(band, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)


def tiny(image: np.ndarray, oval: Oval | None) -> np.ndarray:
    """A camera that only gives 160x120."""
    return cv2.resize(image, (160, 120), interpolation=cv2.INTER_AREA)


# --- stand-ins for faults the simulator does not produce ------------------------------------------


class GatedAnalyzer:
    """The real analyzer whose ``finish`` waits for ``gate`` (so the Verifying screen can be captured)."""

    def __init__(self, inner: Analyzer, gate: threading.Event, *, forever: bool = False) -> None:
        self.inner = inner
        self.gate = gate
        self.forever = forever

    def add(self, frame: Frame, landmarks: Any) -> None:
        """Pass the frame to the real analyzer."""
        self.inner.add(frame, landmarks)

    def finish(self) -> LivenessResult:
        """Wait for the gate, then score."""
        self.gate.wait(None if not self.forever else 60.0)
        return self.inner.finish()


class ClippedDuringColours:
    """The real analyzer, fed frames that blow out from the first colour on (a face the screen light clips)."""

    def __init__(self, inner: Analyzer, context: SessionContext) -> None:
        self.inner = inner
        self.context = context

    def add(self, frame: Frame, landmarks: Any) -> None:
        """Brighten the frame once the colours have started, then pass it on."""
        shown = self.context.challenge.shown_ns
        if shown and frame.t_ns >= shown[0]:
            frame = Frame(np.clip(frame.image.astype(np.float32) * 1.8 + 60, 0, 255).astype(np.uint8), frame.t_ns, frame.index)
        self.inner.add(frame, landmarks)

    def finish(self) -> LivenessResult:
        """Score."""
        return self.inner.finish()


def busy_camera(spec: str, screen: ScreenState) -> FrameSource:
    """Source factory of a camera another program holds."""
    raise CameraBusy("camera 'Integrated Camera' (/dev/video0) could not be opened: it may be in use by another program")


def missing_model() -> Any:
    """Landmark factory whose model file is missing."""
    raise ModelError("face_landmarker.task is missing from the models folder; run `livegate models fetch`")


# --- the driver ---------------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``predicate()`` holds or ``timeout_s`` passes."""
    if predicate():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    timer = QTimer()
    timer.setInterval(15)
    timer.timeout.connect(lambda: loop.quit() if predicate() or time.monotonic() > deadline else None)
    timer.start()
    loop.exec()
    timer.stop()
    return predicate()


def settle(seconds: float = 0.25) -> None:
    """Let a few frames paint before a grab."""
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= end, seconds + 1)


#: Screenshots of screens only staff see (the rest face the person being checked).
STAFF_SHOTS = frozenset({"22-result-demo", "43-settings", "45-history", "28-result-review-staff", "29-result-fail-attack-staff", "23b-result-pass-staff"})


@dataclass
class Shot:
    """One screenshot: file name, what it shows, how it was produced, and for the index what is visible."""

    name: str
    caption: str
    how: str
    screen: str = ""
    audience: str = "customer"
    variant: str = "default"
    texts: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    #: A small copy was written (``--small``).
    small: bool = True

    def index_entry(self) -> dict[str, Any]:
        """The object written to ``index.json``."""
        return {
            "file": f"{self.name}.png",
            "screen": self.screen or self.name,
            "audience": self.audience,
            "variant": self.variant,
            "texts": list(self.texts),
            "recorded_texts": list(self.recorded),
        }


@dataclass
class Shooter:
    """Builds windows, drives them and writes the PNGs."""

    outdir: Path
    small: Path | None = None
    shots: list[Shot] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stores: tempfile.TemporaryDirectory[str] | None = None
    _owned: dict[int, SessionService] = field(default_factory=dict)
    #: Variant of the shots being taken (``index.json``): set by the Spanish and accessibility scenarios.
    variant: str = "default"

    def fresh_store(self, settings: Settings | None = None) -> SessionService:
        """A new session service over an empty temporary store (file keys)."""
        from app.devtools.synthetic_results import make_service

        if self._stores is None:
            self._stores = tempfile.TemporaryDirectory(prefix="livegate-shots-stores-")
        root = Path(self._stores.name) / f"store-{len(list(Path(self._stores.name).iterdir()))}"
        return make_service(root, settings=settings or Settings(), kiosk=False)

    def cleanup(self) -> None:
        """Close and delete the temporary stores."""
        for service in self._owned.values():
            service.close()
        self._owned.clear()
        if self._stores is not None:
            self._stores.cleanup()
            self._stores = None

    def window(
        self,
        spec: str,
        *,
        config: FlowConfig | None = None,
        settings: Settings | None = None,
        source: Callable[[str, ScreenState], FrameSource] | None = None,
        landmarks: Callable[[], Any] | None = None,
        analyzer: Callable[[SessionContext], Analyzer] | None = None,
        kiosk: bool = False,
        demo: bool = False,
        devices: list[CameraDevice] | None = None,
        sessions: SessionService | None = None,
    ) -> MainWindow:
        """A shown main window wired to ``spec`` and the given stand-ins, with ``sessions`` or a fresh temporary store."""
        owned = sessions is None
        if sessions is None:
            sessions = self.fresh_store(settings)
        kwargs: dict[str, Any] = {}
        if source is not None:
            kwargs["source_factory"] = source
        if landmarks is not None:
            kwargs["landmarks_factory"] = landmarks
        if analyzer is not None:
            kwargs["analyzer_factory"] = analyzer
        controller = CheckController(
            settings=settings or Settings(),
            source_spec=spec or None,
            flow_config=config or FlowConfig(face_fit_timeout_s=30.0, verify_timeout_s=60.0, camera_open_timeout_s=30.0),
            recordings_dir=self.outdir / "recordings",
            sessions=sessions,
            **kwargs,
        )
        window = MainWindow(
            controller=controller,
            settings_path=self.outdir / "settings.json",
            kiosk=kiosk,
            demo=demo,
            camera_lister=lambda: list(devices or []),
        )
        if owned:
            self._owned[id(window)] = sessions
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.isVisible(), 2)
        return window

    def grab(
        self,
        widget: QWidget,
        name: str,
        caption: str,
        how: str,
        *,
        screen: str = "",
        audience: str = "",
        variant: str = "",
        small: bool = True,
    ) -> None:
        """Save ``widget`` as ``name``.png (and a small copy unless ``small`` is False) and note what it shows."""
        from app.devtools.catalogue import visible_texts

        settle(0.05)
        pixmap = widget.grab()
        path = self.outdir / f"{name}.png"
        pixmap.save(str(path), "PNG")
        if self.small is not None and small:
            write_small(pixmap.toImage(), self.small / f"{name}.png")
        texts = visible_texts(widget)
        self.shots.append(
            Shot(
                name,
                caption,
                how,
                screen=screen or re.sub(r"^\d+-", "", name),
                audience=audience or ("staff" if name in STAFF_SHOTS else "customer"),
                variant=variant or self.variant,
                texts=[text for text, recorded in texts if not recorded],
                recorded=[text for text, recorded in texts if recorded],
                small=small,
            )
        )
        log.info("screenshot %s", path)

    def close(self, window: MainWindow) -> None:
        """Close ``window`` and wait until its capture threads have ended."""
        window.allow_close()
        window.close()
        wait_until(lambda: not window.controller.core.retiring, 5)
        service = self._owned.pop(id(window), None)
        if service is not None:
            service.close()
        window.deleteLater()
        QCoreApplication.processEvents()

    def page(self, window: MainWindow, *names: str, timeout_s: float = 40.0) -> bool:
        """Wait for one of ``names``; record a failure on time-out."""
        ok = wait_until(lambda: window.page_name in names, timeout_s)
        if not ok:
            self.failures.append(f"waited for {names}, still on {window.page_name}")
        return ok

    def hint(self, window: MainWindow, hint: Hint, timeout_s: float = 40.0) -> bool:
        """Wait for ``hint``; record a failure on time-out."""
        ok = wait_until(lambda: window.guidance_page.current_hint is hint, timeout_s)
        if not ok:
            self.failures.append(f"hint {hint.value} never showed (last: {window.guidance_page.current_hint})")
        return ok


def write_small(image: QImage, path: Path, limit: int = 150_000) -> None:
    """A copy under ``limit`` bytes: scaled down and, if needed, reduced to 256 colours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for width in (900, 760, 640, 520, 420):
        scaled = image.scaledToWidth(min(width, image.width()), Qt.TransformationMode.SmoothTransformation)
        for indexed in (False, True):
            candidate = scaled.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.DiffuseDither) if indexed else scaled
            buf = QBuffer()
            buf.open(QIODevice.OpenModeFlag.WriteOnly)
            candidate.save(buf, "PNG")
            data = bytes(buf.data().data())
            if len(data) <= limit:
                path.write_bytes(data)
                return
    path.write_bytes(data)


# --- scenarios ----------------------------------------------------------------------------------------

HOLD = FlowConfig(face_fit_timeout_s=60.0, hold_still_s=60.0, verify_timeout_s=60.0, camera_open_timeout_s=30.0)


def filtered(spec: str, image_filter: Callable[[np.ndarray, Oval | None], np.ndarray]) -> Callable[[str, ScreenState], FrameSource]:
    """Source factory: the ``spec`` source seen through ``image_filter``."""
    return lambda _spec, screen: FilteredSource(open_source(spec, screen=screen), image_filter)


#: Spec shown for sources built by a scenario's own factory (the factory ignores it).
STAGED = "staged:"


def shoot_start(s: Shooter) -> None:
    """Start screen: cameras (one virtual), check types."""
    devices = [
        CameraDevice(0, "Integrated Camera", "/dev/video0", "uvcvideo", "usb-0000:00:14.0-5"),
        CameraDevice(2, "OBS Virtual Camera", "/dev/video2", "v4l2 loopback", "platform:v4l2loopback-000", True, "the device driver is 'v4l2 loopback' (a virtual loopback device)"),
    ]
    w = s.window("", devices=devices, settings=Settings(camera="camera:0"))
    s.grab(w, "01-start", "Start: camera selector, check type, photosensitivity warning, Start check", "two enumerated cameras (one virtual)")
    w.start_page.camera.setCurrentIndex(w.start_page.camera.findData("camera:2"))
    s.grab(w, "02-start-virtual-camera", "Start: a virtual camera is marked and refused, with the reason", "the virtual camera selected")
    w.start_page.movement_choice.setChecked(True)
    w.start_page.camera.setCurrentIndex(0)
    s.grab(w, "03-start-movement-only", "Start: movement only (no flashing), the warning disappears", "movement only chosen")
    s.close(w)
    w = s.window("sim:live?seed=10", devices=devices[:1], settings=Settings(camera="camera:0"))
    w.start_page.start.click()
    if s.page(w, "get_ready", timeout_s=5):
        s.grab(w, "04-get-ready", "Get ready: how to stand, a picture of a good fit, the photosensitivity warning, what is recorded and for how long, consent", "Start pressed")
        w.get_ready_page.consent.setChecked(True)
        w.get_ready_page.begin.click()
        if s.page(w, "countdown", timeout_s=5):
            s.grab(w, "05-countdown", "Countdown 3-2-1 before the camera starts", "consent given, Begin pressed")
    s.close(w)


def shoot_hints(s: Shooter) -> None:
    """Guidance with every hint."""
    cases: list[tuple[str, str, Hint, dict[str, Any], str]] = [
        ("10-guidance-move-closer", "Guidance: move closer (start-far gate passed)", Hint.MOVE_CLOSER, {"spec": "sim:live?seed=11&behaviour=never-approach"}, "sim:live behaviour=never-approach"),
        ("11-guidance-too-close", "Guidance: a face that is too close is told to move back", Hint.MOVE_BACK, {"spec": "sim:live?seed=12&behaviour=too-close"}, "sim:live behaviour=too-close"),
        ("12-guidance-two-faces", "Guidance: a second face is detected", Hint.MULTIPLE_FACES, {"spec": "sim:live?seed=5&behaviour=second-face"}, "sim:live behaviour=second-face"),
        ("13-guidance-no-face", "Guidance: nobody in front of the camera", Hint.NO_FACE, {"spec": STAGED, "source": filtered("sim:live?seed=14", empty_room)}, "sim:live seen as an empty room"),
        ("14-guidance-centre", "Guidance: face not in the oval", Hint.CENTRE, {"spec": STAGED, "source": filtered("sim:live?seed=15", shifted)}, "sim:live with the camera aimed beside the user"),
        ("15-guidance-too-dark", "Guidance: too dark", Hint.TOO_DARK, {"spec": STAGED, "source": filtered("sim:live?seed=16", darker)}, "sim:live at 12% brightness"),
        ("16-guidance-too-bright", "Guidance: too bright", Hint.TOO_BRIGHT, {"spec": STAGED, "source": filtered("sim:live?seed=17", brighter)}, "sim:live over-exposed"),
        ("17-guidance-backlit", "Guidance: light behind the user", Hint.BACKLIT, {"spec": STAGED, "source": filtered("sim:live?seed=18", backlit)}, "sim:live in front of a bright window"),
        ("18-guidance-blurred", "Guidance: blurred picture", Hint.BLURRED, {"spec": STAGED, "source": filtered("sim:live?seed=19", blurred)}, "sim:live through a blurred lens"),
        ("19-guidance-hold-still", "Guidance: face fits, hold still (green oval, full progress)", Hint.HOLD_STILL, {"spec": "sim:live?seed=20"}, "sim:live cooperative"),
    ]
    for name, caption, hint, kwargs, how in cases:
        spec = kwargs.pop("spec")
        w = s.window(spec, config=HOLD, **kwargs)
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "guidance") and s.hint(w, hint):
            settle(0.15)
            s.grab(w, name, caption, how)
        s.close(w)


def shoot_light_and_result(s: Shooter) -> None:
    """Flash, verifying, demo result, PASS and FAIL."""
    gate = threading.Event()

    def gated(context: SessionContext) -> Analyzer:
        return GatedAnalyzer(default_analyzer_factory(context), gate)

    w = s.window("sim:live?seed=21", analyzer=gated, demo=True)
    w.start_check(challenge_type=MOVEMENT_AND_LIGHT)
    if s.page(w, "light"):
        session = w.controller.session
        if wait_until(lambda: session is not None and session.challenge is not None and len(session.challenge.shown_ns) >= 3, 10):
            wait_until(lambda: w.flash._flash is not None and w.flash._flash.start_ns is not None and w.flash._flash.fraction(time.monotonic_ns()) > 0.5, 2)
            s.grab(w, "20-light-flash", "Light challenge: a colour wiping down over the whole window, oval visible", "sim:live cooperative, third colour")
        if s.page(w, "verifying"):
            settle(0.6)
            s.grab(w, "21-verifying", "Verifying: progress against the hard time limit", "scoring held until the screenshot")
        gate.set()
        if s.page(w, "result"):
            s.grab(w, "22-result-demo", "Result (demo mode): verdict, reference image, audit images, reasons, plots, confidence", "sim:live, real scoring")
    s.close(w)

    def clipped(context: SessionContext) -> Analyzer:
        return ClippedDuringColours(default_analyzer_factory(context), context)

    for name, spec, analyzer, want, caption in (
        ("23-result-pass", "sim:live?seed={}", None, "pass", "Result: PASS (operator mode)"),
        ("24-result-fail", "sim:print?seed={}", None, "fail", "Result: FAIL (operator mode), a printed photo"),
        ("26-result-try-again", "sim:live?seed={}", clipped, "no decision",
         "Result: no decision (the screen light clipped the face during the colours), with what to change"),
        ("27-result-fail-dark-room", "sim:print?seed={}&light_regime=dim&ambient_lux=15", None, "fail",
         "Result: FAIL in a dark room (the screen was the main light), with advice to turn on a room light"),
    ):
        done = False
        for seed in range(30, 34):
            try:
                w = s.window(spec.format(seed), analyzer=analyzer)
            except ConfigError as exc:
                s.failures.append(f"{name}: {exc}")
                break
            w.start_check(challenge_type=MOVEMENT_AND_LIGHT)
            if s.page(w, "result", "error", "timeout", timeout_s=60):
                session = w.controller.session
                outcome = session.outcome if session is not None else None
                result = outcome.result if outcome is not None else None
                got = None if result is None else (result.decision if result.status == "SUCCEEDED" else "no decision")
                if w.page_name == "result" and (result is None or got == want):
                    how = spec.format(seed) + (", frames blown out from the first colour on" if analyzer is not None else "")
                    s.grab(w, name, caption, f"{how}, real scoring" if result is not None else "scoring unavailable")
                    if name == "23-result-pass":
                        w.result_page.staff_button.click()  # no PIN set: the staff view opens at once
                        s.grab(w, "23b-result-pass-staff", "Result: the staff view of a PASS (reasons, images, plots)", f"{how}, real scoring, Staff view pressed")
                    done = True
            s.close(w)
            if done:
                break
        if not done:
            s.failures.append(f"{name}: no run produced a {want!r} decision")


def shoot_leave(s: Shooter) -> None:
    """The face leaves during the flashes."""
    w = s.window("sim:live?seed=40&behaviour=leaves")
    w.start_check(challenge_type=MOVEMENT_AND_LIGHT)
    if s.page(w, "light") and s.page(w, "guidance", "verifying", "result"):
        if w.page_name == "guidance":
            settle(0.2)
            s.grab(w, "25-light-stopped-face-left", "The face left during the flashes: flashing stopped, back to guidance", "sim:live behaviour=leaves")
        else:
            s.failures.append("the leaving user did not leave during the flashes")
    s.close(w)


def shoot_problems(s: Shooter) -> None:
    """Time-out and every error screen."""
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("30-timeout", "Time-out: the face did not fit the oval in time (with the reason)", "sim:live behaviour=never-approach, 3 s limit",
         {"spec": "sim:live?seed=50&behaviour=never-approach", "config": FlowConfig(face_fit_timeout_s=3.0, camera_open_timeout_s=30.0)}),
        ("31-error-camera-busy", "Error: camera busy or access denied", "a source that refuses to open", {"spec": "camera:0", "source": busy_camera}),
        ("32-error-no-camera", "Error: no camera", "no camera enumerated", {"spec": ""}),
        ("33-error-low-fps", "Error: camera below 15 fps", "sim:live delivered at 8 fps", {"spec": STAGED, "source": lambda _s, screen: SlowSource(open_source("sim:live?seed=51", screen=screen), 8.0)}),
        ("34-error-low-resolution", "Error: camera below 320x240", "sim:live scaled to 160x120", {"spec": STAGED, "source": filtered("sim:live?seed=52", tiny)}),
        ("35-error-camera-stopped", "Error: the camera stopped delivering frames", "sim:live behaviour=stall", {"spec": "sim:live?seed=53&behaviour=stall&stall_after=1.5"}),
        ("36-error-model-missing", "Error: the face model is missing", "a landmark stage that cannot load", {"spec": "sim:live?seed=54", "landmarks": missing_model}),
        ("37-error-verify-timeout", "Error: verification exceeded its hard limit", "scoring that never answers, 2 s limit",
         {"spec": "sim:live?seed=55", "config": FlowConfig(face_fit_timeout_s=30.0, verify_timeout_s=2.0, camera_open_timeout_s=30.0),
          "analyzer": lambda ctx: GatedAnalyzer(default_analyzer_factory(ctx), threading.Event(), forever=True)}),
    ]
    for name, caption, how, kwargs in cases:
        spec = kwargs.pop("spec")
        w = s.window(spec, **kwargs)
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "timeout", "error", timeout_s=60):
            settle(0.1)
            s.grab(w, name, caption, how)
        s.close(w)
    devices = [CameraDevice(2, "OBS Virtual Camera", virtual=True, virtual_reason="the device name 'OBS Virtual Camera' matches the virtual-camera product marker 'obs'")]
    w = s.window("", devices=devices)
    w.start_check(spec="camera:2", challenge_type=MOVEMENT_ONLY)
    if s.page(w, "error"):
        s.grab(w, "38-error-virtual-camera", "Error: a virtual camera is refused", "an enumerated virtual camera")
    s.close(w)
    pinned = CameraDevice(0, "HD Pro Webcam C920", "/dev/video0", "uvcvideo", "usb-0000:00:14.0-2")
    other = CameraDevice(1, "Integrated Camera", "/dev/video2", "uvcvideo", "usb-0000:00:14.0-5")
    w = s.window("", devices=[other], settings=Settings(pinned_camera=pinned.fingerprint))
    w.start_check(spec="camera:1", challenge_type=MOVEMENT_ONLY)
    if s.page(w, "error"):
        s.grab(w, "38p-error-camera-not-pinned", "Error: a kiosk pinned to its own camera refuses another one", "livegate devices --pin; another camera connected")
    s.close(w)


def shoot_kiosk(s: Shooter) -> None:
    """Kiosk attract, start and result screens; the settings dialog."""
    w = s.window("sim:live?seed=60", kiosk=True, settings=Settings(mode="kiosk", kiosk_reset_s=30.0))
    w._show("attract")
    settle(0.3)
    s.grab(w, "40-kiosk-attract", "Kiosk: attract screen when idle", "kiosk mode")
    w._show("start")
    s.grab(w, "41-kiosk-start", "Kiosk: start screen without settings or quit (operator access behind the PIN)", "kiosk mode")
    w.start_check(challenge_type=MOVEMENT_AND_LIGHT)
    if s.page(w, "result", "error", "timeout", timeout_s=60):
        settle(1.2)
        s.grab(w, "42-kiosk-result", "Kiosk: result for the end user (no confidence, no plots) and the automatic return", "sim:live, real scoring")
    s.close(w)
    w = s.window("sim:live?seed=61")
    w.open_settings()
    settle(0.3)
    dialog = getattr(w, "_settings_dialog", None)
    if dialog is not None:
        s.grab(dialog, "43-settings", "Settings dialog", "operator mode")
        dialog.reject()
    s.close(w)


def _seed_history(service: SessionService, clock: ManualClock) -> None:
    """Past sessions of a small shop: passes, fails, a camera error, an unscored check, an expired session."""
    from app.devtools.synthetic_results import synthetic_result

    plan: list[tuple[str, str, str]] = [
        ("order-1041", "desk 1", "pass"),
        ("order-1042", "desk 1", "fail"),
        ("", "desk 2", "error"),
        ("order-1044", "desk 2", "pass"),
        ("order-1045", "desk 3", "unscored"),
        ("order-1046", "desk 3", "expired"),
        ("order-1047", "desk 1", "pass"),
    ]
    for i, (customer, operator, what) in enumerate(plan):
        clock.advance(2400.0 + 600.0 * i)
        sid = service.create(customer_ref=customer, operator_ref=operator).id
        if what == "expired":
            clock.advance(service.settings.session_expiry_s + 1)
            service.expire_due()
            continue
        service.start(sid)
        clock.advance(12.0)
        if what == "error":
            service.error(sid, "camera_stalled: no new frame for 1.3 s")
        elif what == "unscored":
            service.fail(sid, "the check could not be scored: no face was seen for most of the check")
        else:
            service.complete(sid, synthetic_result(sid, decision=what, audit=2, seed=i))


def shoot_sessions(s: Shooter) -> None:
    """Lock-out screen, session history, and a result the store could not save (temporary stores, deleted after)."""
    from app.core.sessions import hash_pin
    from app.devtools.synthetic_results import make_service, synthetic_result

    with tempfile.TemporaryDirectory(prefix="livegate-shots-") as tmp:
        root = Path(tmp)
        settings = Settings(mode="kiosk", kiosk_reset_s=120.0, lockout_failures=1, kiosk_pin_hash=hash_pin("2468"))
        service = make_service(root / "locked", settings=settings)
        sid = service.create().id
        service.start(sid)
        service.complete(sid, synthetic_result(sid, decision="fail"))
        w = s.window("sim:live?seed=70", settings=settings, sessions=service, kiosk=True)
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "lockout", timeout_s=15):
            s.grab(w, "44-lockout", "Lock-out: too many failed checks on this device; staff can end it with the PIN", "a store locked after one failed check (lockout_failures=1)")
        s.close(w)
        service.close()

        clock = ManualClock(time.time() - 10 * 3600)  # the seeded sessions spread over the last hours
        service = make_service(root / "history", clock=clock, settings=Settings())
        _seed_history(service, clock)
        clock.advance(max(0.0, time.time() - clock.now()))
        w = s.window("sim:live?seed=71", sessions=service)
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "result", "error", "timeout", timeout_s=60):
            shown: list[str] = []
            w.history_page.detailShown.connect(shown.append)
            w.show_history()
            if wait_until(lambda: bool(shown) and w.history_page.table.rowCount() > 0, 15):
                settle(0.2)
                s.grab(w, "45-history", "Session history (operators): search by date, status and customer reference; details with the reference image; export and delete", "the check just run (sim:live, real scoring) and seeded past sessions")
            else:
                s.failures.append("the history view did not fill")
        s.close(w)
        service.close()

        service = make_service(root / "full", settings=Settings())

        def disk_full(*args: object, **kwargs: object) -> Any:
            raise StoreError("cannot write reference.enc: [Errno 28] No space left on device (the disk is full)")

        service.store.write_file = disk_full  # type: ignore[method-assign]
        w = s.window("sim:live?seed=72", sessions=service)
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "store_error", "result", "error", "timeout", timeout_s=60):
            if w.page_name == "store_error":
                s.grab(w, "39-error-result-not-saved", "Error: the result could not be saved (disk full); nothing counts as passed", "sim:live, real scoring, a store whose writes fail")
            else:
                s.failures.append(f"the failing store ended on {w.page_name}, not on the store error screen")
        s.close(w)
        service.close()


def _start_and_guidance(s: Shooter, start: tuple[str, str, str], guidance: tuple[str, str, str]) -> None:
    """Grab the start screen and a "move closer" guidance screen (for language and style variants)."""
    w = s.window("", devices=[CameraDevice(0, "Integrated Camera")], settings=Settings(camera="camera:0"))
    s.grab(w, *start)
    s.close(w)
    w = s.window("sim:live?seed=11&behaviour=never-approach", config=HOLD)
    w.start_check(challenge_type=MOVEMENT_ONLY)
    if s.page(w, "guidance") and s.hint(w, Hint.MOVE_CLOSER):
        settle(0.1)
        s.grab(w, *guidance)
    s.close(w)


def shoot_spanish(s: Shooter) -> None:
    """The Spanish translation."""
    from app.gui.i18n import install_translators

    app = QCoreApplication.instance()
    assert app is not None
    translators = install_translators(app, "es")
    if not translators:
        s.failures.append("Spanish translation not loaded")
        return
    s.variant = "es"
    try:
        _start_and_guidance(
            s, ("50-es-start", "Spanish: start screen", "language es"),
            ("51-es-guidance", "Spanish: guidance hint", "language es, sim:live never-approach"),
        )
    finally:
        s.variant = "default"
        for tr in translators:
            app.removeTranslator(tr)


def shoot_accessibility(s: Shooter) -> None:
    """High contrast and large text."""
    from app.gui.style import apply_style

    app = QCoreApplication.instance()
    assert isinstance(app, QApplication)
    apply_style(app, high_contrast=True)
    s.variant = "high-contrast"
    try:
        _start_and_guidance(
            s, ("60-high-contrast-start", "High contrast: start screen", "LIVEGATE_HIGH_CONTRAST=1 style"),
            ("61-high-contrast-guidance", "High contrast: guidance", "LIVEGATE_HIGH_CONTRAST=1 style"),
        )
    finally:
        s.variant = "default"
        apply_style(app, high_contrast=False)
    font = app.font()
    large = QFont(font)
    large.setPointSizeF(font.pointSizeF() * 1.6)
    app.setFont(large)
    s.variant = "large-text"
    try:
        w = s.window("", devices=[CameraDevice(0, "Integrated Camera")], settings=Settings(camera="camera:0"))
        s.grab(w, "62-large-text-start", "Large text (160 %): the start screen grows with the font", "application font x1.6")
        s.close(w)
        w = s.window("")
        w.start_check(challenge_type=MOVEMENT_ONLY)
        if s.page(w, "error"):
            s.grab(w, "63-large-text-error", "Large text (160 %): an error screen", "application font x1.6, no camera")
        s.close(w)
    finally:
        s.variant = "default"
        app.setFont(font)


def shoot_staged(s: Shooter) -> None:
    """Every staged screen (results for both audiences, every error, get-ready...) in every variant.

    These are built from fixed data (``app.gui.catalogue``), not by running checks, so each result and
    error screen exists in the large-text, high-contrast and Spanish variants. Only the index lists them;
    no small copies are written.
    """
    from app.devtools.catalogue import VARIANTS, staged_screens, variant

    #: Staged screens also kept as small copies (no simulated check reaches them reliably).
    kept = {
        ("default", "result-review-staff"): ("28-result-review-staff", "Staff view: PASS - review (amber) with the checklist and the concern"),
        ("default", "result-fail-attack-staff"): ("29-result-fail-attack-staff", "Staff view: FAIL with a suspected screen replay: no retry, manual identity check"),
        ("default", "result-fail-attack"): ("29b-result-fail-attack", "Customer view of the same FAIL: verdict and next step only"),
        ("default", "guidance-start-far"): ("09-guidance-start-far", "Guidance, first step: a small oval to start further away"),
        ("large-text", "result-review-staff"): ("64-large-text-result-staff", "Large text (160 %): the staff view scrolls, nothing is cut"),
        ("high-contrast", "result-review"): ("65-high-contrast-result", "High contrast: a result"),
        ("es", "result-try-again"): ("52-es-result-try-again", "Spanish: TRY AGAIN with the capture tips"),
        ("es", "result-review-staff"): ("53-es-result-review-staff", "Spanish: the staff view, its reasons rendered from their codes"),
    }
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    for name in VARIANTS:
        with variant(app, name):
            w = s.window("", settings=Settings(camera="camera:0"), devices=[CameraDevice(0, "Integrated Camera")])
            for staged in staged_screens():
                staged.stage(w)
                settle(0.05)
                s.grab(w, f"v-{name}-{staged.screen}", f"{staged.screen} ({name})", "staged from fixed data",
                       screen=staged.screen, audience=staged.audience, variant=name, small=False)
                if (name, staged.screen) in kept:
                    file, caption = kept[(name, staged.screen)]
                    s.grab(w, file, caption, "staged from fixed data (app/gui/catalogue.py)",
                           screen=staged.screen, audience=staged.audience, variant=name)
            s.close(w)


def shoot_movement(s: Shooter) -> None:
    """The movement-only check: a head-turn cue, then the result naming the check and its assurance."""
    for seed in range(21, 25):
        w = s.window(f"sim:live?seed={seed}")
        w.start_check(challenge_type=MOVEMENT_ONLY)
        ok = False
        if s.page(w, "cues", timeout_s=60) and wait_until(lambda: w.canvas.renderer.turn_cue is not None, 15):
            settle(0.3)
            s.grab(w, "28m-movement-cue", "Movement-only check: a head-movement cue, turn or nod (instruction and arrows beside the oval)",
                   f"sim:live?seed={seed}, first cue")
            if s.page(w, "result", "error", "timeout", timeout_s=90) and w.page_name == "result":
                s.grab(w, "29m-result-movement", "Result of a movement-only check: the check used and its reduced assurance",
                       f"sim:live?seed={seed}, real scoring")
                ok = True
        s.close(w)
        if ok:
            return


SCENARIOS: dict[str, Callable[[Shooter], None]] = {
    "start": shoot_start,
    "hints": shoot_hints,
    "light": shoot_light_and_result,
    "leave": shoot_leave,
    "problems": shoot_problems,
    "kiosk": shoot_kiosk,
    "sessions": shoot_sessions,
    "spanish": shoot_spanish,
    "access": shoot_accessibility,
    "staged": shoot_staged,
    "movement": shoot_movement,
}


def write_json_index(path: Path, shooter: Shooter, *, merge: bool) -> None:
    """``index.json``: one object per screenshot (file, screen, audience, variant, visible texts)."""
    entries: dict[str, dict[str, Any]] = {}
    if merge and path.is_file():
        try:
            for entry in json.loads(path.read_text(encoding="utf-8")):
                entries[entry["file"]] = entry
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the old %s is unreadable and is replaced: %s", path.name, exc)
    for shot in shooter.shots:
        entries[f"{shot.name}.png"] = shot.index_entry()
    path.write_text(json.dumps([entries[k] for k in sorted(entries)], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_index(path: Path, shooter: Shooter, *, merge: bool, small_only: bool = False) -> None:
    """List every screenshot with its caption; a partial run (``--only``) updates the existing list.

    ``small_only``: list only the screenshots that have a small copy (the ``--small`` folder).
    """
    entries: dict[str, str] = {}
    if merge and path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name = line.split("\t", 1)[0]
            if name and name != "MISSING":
                entries[name] = line
    for shot in shooter.shots:
        if small_only and not shot.small:
            continue
        entries[f"{shot.name}.png"] = f"{shot.name}.png\t{shot.caption}\t({shot.how})"
    lines = [entries[name] for name in sorted(entries)] + [f"MISSING\t{f}" for f in shooter.failures]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``livegate screenshots``. Returns 0 when every screen was captured, 1 otherwise."""
    from app.gui.main import make_application
    from app.gui.style import apply_style

    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    small = Path(args.small) if getattr(args, "small", None) else None
    only = [n for n in (getattr(args, "only", "") or "").split(",") if n]
    app = make_application()
    apply_style(app, high_contrast=False)
    shooter = Shooter(outdir, small)
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        try:
            scenario(shooter)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            log.exception("scenario %s failed", name)
            shooter.failures.append(f"{name}: {type(exc).__name__}: {exc}")
    shooter.cleanup()
    for folder in (outdir, small):
        if folder is not None:
            write_index(folder / "index.txt", shooter, merge=bool(only), small_only=folder is small)
    write_json_index(outdir / "index.json", shooter, merge=bool(only))
    for failure in shooter.failures:
        log.warning("screenshots: %s", failure)
    log.info("%d screenshots in %s", len(shooter.shots), outdir)
    return 0 if not shooter.failures else 1


__all__ = ["SCENARIOS", "FilteredSource", "SlowSource", "run", "write_small"]
