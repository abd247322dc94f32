"""User-visible wording of core values (hints, problems), through Qt's translation mechanism.

Core modules return enums; only this module turns them into words, so every
sentence the user reads is in ``resources/i18n/*.ts``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from app.core.check.flow import Problem, ProblemInfo
from app.core.guidance import Hint


def hint_text(hint: Hint, *, too_close: bool = False) -> str:
    """The instruction shown (and announced) for ``hint``."""
    if hint is Hint.NO_FACE:
        return QCoreApplication.translate("Hints", "Move your face in front of the camera")
    if hint is Hint.MULTIPLE_FACES:
        return QCoreApplication.translate("Hints", "Make sure only one face is in front of the camera")
    if hint is Hint.TOO_DARK:
        return QCoreApplication.translate("Hints", "It is too dark: turn on a light in front of you")
    if hint is Hint.TOO_BRIGHT:
        return QCoreApplication.translate("Hints", "It is too bright: move out of direct light")
    if hint is Hint.BACKLIT:
        return QCoreApplication.translate("Hints", "The light is behind you: turn so the light falls on your face")
    if hint is Hint.MOVE_BACK:
        if too_close:
            return QCoreApplication.translate("Hints", "Too close: move back")
        return QCoreApplication.translate("Hints", "Move back")
    if hint is Hint.MOVE_CLOSER:
        return QCoreApplication.translate("Hints", "Move closer")
    if hint is Hint.CENTRE:
        return QCoreApplication.translate("Hints", "Your face is not in the oval: centre your face")
    if hint is Hint.BLURRED:
        return QCoreApplication.translate("Hints", "The picture is blurred: hold still, or clean the camera lens")
    return QCoreApplication.translate("Hints", "Hold still")


@dataclass(frozen=True)
class ProblemText:
    """Title, explanation and what to do, for an error or time-out screen."""

    title: str
    body: str


def problem_text(info: ProblemInfo) -> ProblemText:
    """Wording of a TIMEOUT/ERROR screen."""
    p = info.problem
    if p is Problem.CAMERA_NOT_FOUND:
        return ProblemText(
            QCoreApplication.translate("Problems", "No camera found"),
            QCoreApplication.translate("Problems", "No camera is connected, or the chosen camera is not available. Connect a camera, then try again."),
        )
    if p is Problem.CAMERA_BUSY:
        return ProblemText(
            QCoreApplication.translate("Problems", "The camera cannot be opened"),
            QCoreApplication.translate("Problems", "Another program may be using the camera, or access to it was denied. Close other camera apps, allow camera access, then try again."),
        )
    if p is Problem.CAMERA_VIRTUAL:
        return ProblemText(
            QCoreApplication.translate("Problems", "Virtual camera refused"),
            QCoreApplication.translate("Problems", "The chosen camera looks like a virtual camera. Only real cameras are accepted. Choose another camera."),
        )
    if p is Problem.CAMERA_NOT_PINNED:
        return ProblemText(
            QCoreApplication.translate("Problems", "This camera is not allowed here"),
            QCoreApplication.translate("Problems", "This kiosk works only with the camera it was set up with. Please ask a member of staff."),
        )
    if p is Problem.CAMERA_LOW_RESOLUTION:
        return ProblemText(
            QCoreApplication.translate("Problems", "The camera picture is too small"),
            QCoreApplication.translate("Problems", "This check needs a camera with at least 320 × 240 pixels. Use another camera, then try again."),
        )
    if p is Problem.CAMERA_LOW_FPS:
        return ProblemText(
            QCoreApplication.translate("Problems", "The camera is too slow"),
            QCoreApplication.translate("Problems", "This check needs at least 15 pictures per second. Add light (cameras slow down in the dark) or use another camera, then try again."),
        )
    if p is Problem.CAMERA_STALLED:
        return ProblemText(
            QCoreApplication.translate("Problems", "The camera stopped"),
            QCoreApplication.translate("Problems", "The camera stopped sending pictures. Check its cable or close other camera apps, then try again."),
        )
    if p is Problem.MODEL_MISSING:
        return ProblemText(
            QCoreApplication.translate("Problems", "The face model is missing"),
            QCoreApplication.translate("Problems", "The app could not load its face model. Ask staff to run the set-up again."),
        )
    if p is Problem.FACE_FIT_TIMEOUT:
        body = QCoreApplication.translate("Problems", "Your face didn't fit inside the oval in time.")
        advice = timeout_advice(info.last_hint)
        return ProblemText(QCoreApplication.translate("Problems", "Time out"), f"{body} {advice}".strip())
    if p is Problem.VERIFY_TIMEOUT:
        return ProblemText(
            QCoreApplication.translate("Problems", "Verification took too long"),
            QCoreApplication.translate("Problems", "The check could not be completed in time. Nothing was decided. Please try again."),
        )
    return ProblemText(
        QCoreApplication.translate("Problems", "Something went wrong"),
        QCoreApplication.translate("Problems", "An unexpected problem stopped the check. Nothing was decided. Please try again."),
    )


def timeout_advice(hint: Hint | None) -> str:
    """One sentence explaining a face-fit time-out from the hint that was showing."""
    if hint is None:
        return ""
    if hint is Hint.NO_FACE:
        return QCoreApplication.translate("Problems", "No face was seen: sit in front of the camera.")
    if hint is Hint.MULTIPLE_FACES:
        return QCoreApplication.translate("Problems", "More than one face was seen: only the person being checked may be in view.")
    if hint in (Hint.TOO_DARK, Hint.TOO_BRIGHT, Hint.BACKLIT):
        return QCoreApplication.translate("Problems", "The lighting was not good enough: find even light on your face.")
    if hint is Hint.BLURRED:
        return QCoreApplication.translate("Problems", "The picture was blurred: clean the camera lens.")
    if hint is Hint.MOVE_CLOSER:
        return QCoreApplication.translate("Problems", "Start about an arm's length away, then move closer until your face fills the oval.")
    if hint is Hint.MOVE_BACK:
        return QCoreApplication.translate("Problems", "Start further away, then move closer until your face fills the oval.")
    return QCoreApplication.translate("Problems", "Keep your face inside the oval.")


def store_problem_text(kind: str) -> ProblemText:
    """Wording of the screen shown when the session store refused a step (``StoreProblem.kind``)."""
    if kind == "save":
        return ProblemText(
            QCoreApplication.translate("Problems", "The result could not be saved"),
            QCoreApplication.translate(
                "Problems",
                "The check could not be saved on this device, so it does not count and nothing was decided. Please try again, or ask staff for help.",
            ),
        )
    if kind == "ended":
        return ProblemText(
            QCoreApplication.translate("Problems", "The check was ended elsewhere"),
            QCoreApplication.translate(
                "Problems", "This check was ended or deleted by another program before its result was saved. It does not count. Please try again."
            ),
        )
    return ProblemText(
        QCoreApplication.translate("Problems", "The check cannot start"),
        QCoreApplication.translate(
            "Problems", "The check could not be recorded on this device, so it was not started. Please try again, or ask staff for help."
        ),
    )
