"""Every screen staged from fixed data, for the screenshot index and the screen tests.

The screenshots of ``livegate screenshots`` that show a flow are taken by
driving the real app with simulated cameras (slow, and only in one style).
The screens here are staged directly: a window is built, and each
:class:`StagedScreen` puts it into one state (a result from a synthetic
session, an error, the get-ready screen...) without a camera or scoring. That
is fast enough to build every result and error screen in every variant
(default, large text, high contrast, Spanish), and to inspect what each shows:
:func:`visible_texts` lists every visible string, :func:`layout_problems`
finds widgets outside the window and cut labels.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QProgressBar,
    QScrollArea,
    QWidget,
)

from app.core.capture.frame import SourceInfo
from app.core.challenge import FitState
from app.core.check.flow import Outcome, Phase, Problem, ProblemInfo, Session
from app.core.guidance import Guidance, Hint
from app.core.scoring.contract import ABSTAIN, FAIL, PASS, CheckResult, LivenessResult
from app.core.scoring.fusion import FusionReason
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.stages.base import result
from app.core.scoring.stages.geometry import GeometryReason
from app.core.scoring.stages.injection import InjectionReason
from app.core.scoring.stages.light import LightReason
from app.core.scoring.stages.quality import QualityReason
from app.core.scoring.stages.texture import TextureReason
from app.devtools.synthetic_results import synthetic_result
from app.gui.verdict import timeout_suspicions

#: The variants every result and error screen is built in.
VARIANTS = ("default", "large-text", "high-contrast", "es")
#: Text size of the large-text variant (160 %).
LARGE_TEXT = 1.6
#: Confidence (of a pass, of a fail) and threshold of the staged results: distinctive numbers a test can look for.
STAGED_CONFIDENCE, STAGED_FAIL_CONFIDENCE, STAGED_THRESHOLD = 73.4, 23.4, 57.0


@dataclass(frozen=True)
class StagedScreen:
    """One screen state.

    Attributes
    ----------
    screen:
        Stable name (``result-fail``, ``error-camera-busy``...).
    audience:
        ``customer`` (the person being checked sees it) or ``staff``.
    kind:
        ``result``, ``error`` or ``other``.
    stage:
        Puts a window into this state.
    """

    screen: str
    audience: str
    kind: str
    stage: Callable[[QWidget], None]


def staged_result(decision: str, *checks: CheckResult, status: str = "SUCCEEDED", said: list[tuple[ReasonCode, dict]] | None = None) -> LivenessResult:
    """A synthetic result with the given stage verdicts, the staged confidence and threshold, and as reasons the
    fusion sentences ``said`` (code, params) followed by the stages' own reasons, each with its code."""
    base = synthetic_result("staged", decision=decision, status=status, audit=2)
    confidence = STAGED_CONFIDENCE if decision == "pass" and status == "SUCCEEDED" else STAGED_FAIL_CONFIDENCE
    entries = [(code.sentence(**params), str(code), params) for code, params in (said or [])]
    quoted = {params.get("stage") for _, params in (said or [])}  # a concern already quotes its stage's reason
    entries += [(c.reason, None if c.code is None else str(c.code), dict(c.params)) for c in checks if c.name not in quoted]
    return dataclasses.replace(
        base, checks=list(checks), reasons=[e[0] for e in entries], reason_codes=[e[1] for e in entries],
        reason_params=[e[2] for e in entries], confidence=confidence, threshold=STAGED_THRESHOLD,
    )


def _session(result: LivenessResult | None, reason: str = "") -> Session:
    session = Session(id="staged", number=1, challenge_type="FaceMovementAndLightChallenge", started_ns=0)
    session.outcome = Outcome(result, reason)
    return session


#: Results staged for the result screens (screen name -> result or ``None`` for scoring unavailable).
def staged_results() -> dict[str, tuple[LivenessResult | None, str]]:
    """Every result class: pass, pass with a concern, soft fail, suspected attack, no decision (one with a
    replay the light stage saw before the check ended without a decision), unavailable. Built with the
    stages' real reason codes, so the staff view shows their translated sentences."""
    ok_light = result("light", PASS, 0.9, LightReason.FACE)
    flat = result("geometry", FAIL, 0.3, GeometryReason.FLAT)
    conf, thr = STAGED_CONFIDENCE, STAGED_THRESHOLD
    return {
        "result-pass": (staged_result("pass", ok_light, result("geometry", PASS, 0.8, GeometryReason.FACE_3D), said=[(FusionReason.ALL_PASSED, {})]), ""),
        "result-review": (
            staged_result("pass", ok_light, flat, said=[
                (FusionReason.PASS_WITH_CONCERNS, {"confidence": conf, "threshold": thr, "count": 1, "plural": ""}),
                (FusionReason.CONCERN, {"stage": "geometry", "reason": flat.reason}),
            ]),
            "",
        ),
        "result-fail": (
            staged_result("fail", result("texture", FAIL, 0.2, TextureReason.FLAT),
                          said=[(FusionReason.BELOW_THRESHOLD, {"confidence": STAGED_FAIL_CONFIDENCE, "threshold": thr})]),
            "",
        ),
        "result-fail-attack": (staged_result("fail", result("light", FAIL, 0.0, LightReason.LATE, hard_fail=True, lag=312.5)), ""),
        "result-fail-device": (
            staged_result("fail", result("injection", FAIL, 0.0, InjectionReason.VIRTUAL_CAMERA, hard_fail=True, why="v4l2loopback driver")),
            "",
        ),
        "result-try-again": (
            staged_result("fail", result("light", ABSTAIN, None, LightReason.OVER_EXPOSED, clipped=0.34),
                          result("quality", FAIL, 0.75, QualityReason.POOR, issues="the face was over-exposed"),
                          status="FAILED", said=[(FusionReason.NEVER_PASSES, {})]),
            "",
        ),
        "result-try-again-replay": (
            staged_result("fail", result("light", FAIL, 0.1, LightReason.FLAT_OR_GLOSSY),
                          result("geometry", ABSTAIN, None, GeometryReason.TOO_LITTLE_APPROACH, scale=1.05, needed=1.3),
                          status="FAILED", said=[(FusionReason.NEVER_PASSES, {})]),
            "",
        ),
        "result-unavailable": (None, "the scoring model is not installed"),
    }


def _result_stage(result: LivenessResult | None, reason: str, *, staff: bool) -> Callable[[QWidget], None]:
    def stage(window: QWidget) -> None:
        session = _session(result, reason)
        window.attempts = 1  # type: ignore[attr-defined]
        window._on_phase(Phase.RESULT, Phase.VERIFYING, session)  # type: ignore[attr-defined]
        window.result_page.set_staff_visible(staff)  # type: ignore[attr-defined]

    return stage


def _problem_stage(info: ProblemInfo, phase: Phase, *, staff: bool = False, source: SourceInfo | None = None) -> Callable[[QWidget], None]:
    def stage(window: QWidget) -> None:
        window.problem_page.show_problem(info, phase, timeout_suspicions(source))  # type: ignore[attr-defined]
        window._show(phase.value)  # type: ignore[attr-defined]
        window.problem_page.set_staff_visible(staff)  # type: ignore[attr-defined]

    return stage


def _store_stage(kind: str) -> Callable[[QWidget], None]:
    def stage(window: QWidget) -> None:
        from app.gui.texts import store_problem_text

        text = store_problem_text(kind)
        window.problem_page.show_message(text.title, text.body, "")  # type: ignore[attr-defined]
        window._show("store_error")  # type: ignore[attr-defined]

    return stage


def _guidance_stage(hint: Hint, *, gate: bool, fits: bool = False, light: bool = False) -> Callable[[QWidget], None]:
    def stage(window: QWidget) -> None:
        from app.core.challenge import Oval

        page = window.guidance_page  # type: ignore[attr-defined]
        page.reset()
        window.canvas.set_oval(Oval(320, 240, 256, 414))  # type: ignore[attr-defined]
        size = 1.0 if fits else 0.5
        fit = FitState(0.8 if fits else 0.3, size, 0.0, 0.0, fits, size < 0.6, False, 0.95 if fits else 0.4)
        page.set_light_mode(light)
        if light:
            page.begin_flash(8)
            page.flash_step(2)
        page.show_guidance(Guidance(hint, hint, 1, fit, fit.progress if gate else 0.0, gate, fits), 0.0)
        window._show("light" if light else "guidance")  # type: ignore[attr-defined]

    return stage


def _page_stage(name: str, prepare: Callable[[QWidget], None] | None = None) -> Callable[[QWidget], None]:
    def stage(window: QWidget) -> None:
        if prepare is not None:
            prepare(window)
        window._show(name)  # type: ignore[attr-defined]

    return stage


def _get_ready(window: QWidget) -> None:
    s = window.settings  # type: ignore[attr-defined]
    window.get_ready_page.prepare(flashing=True, keep_recordings=s.keep_recordings, audit_images=s.audit_images, retention_days=s.retention_days)  # type: ignore[attr-defined]


def _countdown(window: QWidget) -> None:
    page = window.countdown_page  # type: ignore[attr-defined]
    page.begin(3)
    page.stop()


def _lockout(window: QWidget) -> None:
    window.lockout_page.show_status(27, override_available=True)  # type: ignore[attr-defined]


def staged_screens() -> list[StagedScreen]:
    """Every staged screen: results for both audiences, every error, and the screens around a check."""
    out: list[StagedScreen] = [
        StagedScreen("start", "customer", "other", _page_stage("start")),
        StagedScreen("get-ready", "customer", "other", _page_stage("get_ready", _get_ready)),
        StagedScreen("countdown", "customer", "other", _page_stage("countdown", _countdown)),
        StagedScreen("guidance-start-far", "customer", "other", _guidance_stage(Hint.MOVE_BACK, gate=False)),
        StagedScreen("guidance-move-closer", "customer", "other", _guidance_stage(Hint.MOVE_CLOSER, gate=True)),
        StagedScreen("guidance-hold-still", "customer", "other", _guidance_stage(Hint.HOLD_STILL, gate=True, fits=True)),
        StagedScreen("light", "customer", "other", _guidance_stage(Hint.HOLD_STILL, gate=True, fits=True, light=True)),
        StagedScreen("attract", "customer", "other", _page_stage("attract")),
        StagedScreen("lockout", "customer", "error", _page_stage("lockout", _lockout)),
    ]
    for name, (result, reason) in staged_results().items():
        out.append(StagedScreen(name, "customer", "result", _result_stage(result, reason, staff=False)))
        out.append(StagedScreen(f"{name}-staff", "staff", "result", _result_stage(result, reason, staff=True)))
    details = {
        Problem.CAMERA_BUSY: "camera 'Integrated Camera' could not be opened: it may be in use by another program",
        Problem.CAMERA_STALLED: "no new frame for 1.3 s",
        Problem.RUNTIME: "RuntimeError: example",
    }
    for problem in Problem:
        phase = Phase.TIMEOUT if problem is Problem.FACE_FIT_TIMEOUT else Phase.ERROR
        info = ProblemInfo(problem, details.get(problem, ""), Hint.MOVE_CLOSER if problem is Problem.FACE_FIT_TIMEOUT else None)
        out.append(StagedScreen(f"error-{problem.value.replace('_', '-')}", "customer", "error", _problem_stage(info, phase)))
        if problem is Problem.FACE_FIT_TIMEOUT:
            # The same time-out on a camera the system flags as virtual (allowed by the settings): staff are told.
            virtual = SourceInfo(kind="camera", name="Virtual Camera", device={"virtual": True, "virtual_reason": "v4l2loopback driver"})
            out.append(StagedScreen("error-face-fit-timeout-device", "customer", "error", _problem_stage(info, phase, source=virtual)))
            out.append(StagedScreen("error-face-fit-timeout-device-staff", "staff", "error", _problem_stage(info, phase, staff=True, source=virtual)))
    for kind in ("save", "ended", "start"):
        out.append(StagedScreen(f"error-store-{kind}", "customer", "error", _store_stage(kind)))
    return out


# --- variants ---------------------------------------------------------------------------------------


@contextmanager
def variant(app: QApplication, name: str) -> Iterator[None]:
    """Apply a variant to the application while the block runs (build windows inside it)."""
    from app.gui.i18n import install_translators
    from app.gui.style import apply_style

    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}")
    font = app.font()
    translators = []
    if name == "large-text":
        large = QFont(font)
        large.setPointSizeF(font.pointSizeF() * LARGE_TEXT)
        app.setFont(large)
    elif name == "high-contrast":
        apply_style(app, high_contrast=True)
    elif name == "es":
        translators = install_translators(app, "es")
        if not translators:
            raise RuntimeError("the Spanish catalogue could not be loaded")
    try:
        yield
    finally:
        for tr in translators:
            app.removeTranslator(tr)
        if name == "large-text":
            app.setFont(font)
        elif name == "high-contrast":
            apply_style(app, high_contrast=False)


# --- inspection ----------------------------------------------------------------------------------


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and widget.width() > 0 and widget.height() > 0


def _clean(text: str) -> str:
    text = re.sub(r"&(?=[^&\s])", "", text)  # mnemonics
    return " ".join(text.split())


def visible_texts(root: QWidget) -> list[tuple[str, bool]]:
    """Every visible string under ``root`` as ``(text, recorded)``, in widget order.

    ``recorded`` marks text shown as it was recorded (the scoring engine's
    reasons, technical details), not wording of the interface.
    """
    out: list[tuple[str, bool]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is not root and not _shown(widget, root):
            continue
        recorded = bool(widget.property("recordedText"))
        texts: list[str] = []
        if isinstance(widget, QLabel):
            texts = [line for line in widget.text().split("\n")]
        elif isinstance(widget, QAbstractButton):
            texts = [widget.text()]
        elif isinstance(widget, QGroupBox):
            texts = [widget.title()]
        elif isinstance(widget, QComboBox):
            texts = [widget.currentText()]
        elif isinstance(widget, QProgressBar) and widget.isTextVisible():
            texts = [widget.text()]
        for text in texts:
            text = _clean(text)
            if text:
                out.append((text, recorded))
    return out


def layout_problems(window: QWidget) -> list[str]:
    """Widgets of the current screen outside the window, and labels whose text does not fit.

    Widgets inside a scroll area count as inside when the scroll area is (they
    can be scrolled to); a word-wrapped label is cut when its height is less
    than it needs for its width, an unwrapped one when its text is wider.
    """
    problems: list[str] = []
    bounds = QRect(QPoint(0, 0), window.size())
    current = window.stack.currentWidget()  # type: ignore[attr-defined]
    scrolled: set[int] = set()
    for area in current.findChildren(QScrollArea):
        inner = area.widget()
        if inner is not None:
            scrolled.update(id(w) for w in inner.findChildren(QWidget))
            scrolled.add(id(inner))
    for widget in [current, *current.findChildren(QWidget)]:
        if not _shown(widget, window):
            continue
        name = widget.accessibleName() or widget.objectName() or type(widget).__name__
        if id(widget) not in scrolled:
            top_left = widget.mapTo(window, QPoint(0, 0))
            rect = QRect(top_left, widget.size())
            if not bounds.contains(rect):
                problems.append(f"{name}: {rect.getRect()} outside the window {bounds.width()}x{bounds.height()}")
        if isinstance(widget, QLabel) and widget.text() and widget.textFormat() != Qt.TextFormat.RichText:
            metrics = widget.fontMetrics()
            margins = widget.contentsMargins()
            width = widget.width() - margins.left() - margins.right() - 2 * widget.margin()
            if widget.wordWrap():
                need = widget.heightForWidth(widget.width())
                if need > widget.height() + 1:
                    problems.append(f"{name}: label needs {need} px height, has {widget.height()}")
            else:
                shown = re.sub(r"&(.)", r"\1", widget.text()) if widget.buddy() is not None else widget.text()
                longest = max(metrics.horizontalAdvance(line) for line in shown.split("\n"))
                if longest > width + 1 and widget.pixmap().isNull():
                    problems.append(f"{name}: text {longest} px wide in {width} px ({widget.text()[:40]!r})")
        elif isinstance(widget, QAbstractButton) and widget.text():
            need = widget.sizeHint().width()
            if widget.width() + 1 < min(need, widget.minimumSizeHint().width()):
                problems.append(f"{name}: button {widget.width()} px narrower than its text needs ({need})")
    return problems


__all__ = [
    "LARGE_TEXT",
    "STAGED_CONFIDENCE",
    "STAGED_FAIL_CONFIDENCE",
    "STAGED_THRESHOLD",
    "VARIANTS",
    "StagedScreen",
    "layout_problems",
    "staged_results",
    "staged_screens",
    "variant",
    "visible_texts",
]
