"""``livegate check --source SPEC``: one complete live check without Qt (QA, machines without the app's screen).

It runs the same :class:`~app.core.check.live.LiveCheck` as the app: the flow
(camera check, guidance until the face fits the oval, the hold, the colour
sequence, scoring) against the source. The colours go into the shared
:class:`~app.core.screen.ScreenState`, the seam the app's flash controller
writes and a simulated participant (``sim:``) reads, so a simulated check sees
the colours exactly as in the app. The session is stored like the app's unless
``--no-store``.

Exit codes as ``livegate verify``: 0 pass; 1 fail, no decision, or a check that
ended without a result by the participant's doing (face-fit time-out, refused
virtual camera); 2 bad input; 3 unavailable (camera, model, scoring or store).
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from collections.abc import Callable

from app.core.capture.base import monotonic_ns
from app.core.capture.spec import parse_spec
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY
from app.core.check.flash import TIMING_SOURCE, FlashPlayer
from app.core.check.flow import Phase, Problem, Session
from app.core.check.live import CheckListener, LiveCheck
from app.core.check.stored import InlineStoreExecutor, StoreProblem
from app.core.errors import ConfigError, LivegateError
from app.core.guidance import Guidance
from app.core.scoring.cli import print_result
from app.core.scoring.contract import LivenessResult
from app.core.sessions import LockoutStatus
from app.core.sessions.service import SessionEvent, SessionService
from app.core.sessions import Session as StoredSession
from app.core.settings import load_settings, replace


EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3

#: Source kinds ``check`` runs: a simulated participant, or frames from a file (which must not pass).
SOURCE_KINDS = ("sim", "recording", "file")
#: Longest a whole check may take (the flow's own deadlines end it much sooner; this guards the loop itself).
HARD_LIMIT_S = 180.0
#: Problems that mean the check itself failed (exit 1) rather than that it could not be made (exit 3).
FAILED_PROBLEMS = (Problem.FACE_FIT_TIMEOUT, Problem.CAMERA_VIRTUAL, Problem.CAMERA_NOT_PINNED)


class _Run(CheckListener):
    """Follows one check: plays its colours, reports progress, and knows when it is over."""

    def __init__(self, check: LiveCheck, player: FlashPlayer, *, verbose: bool) -> None:
        self.check = check
        self.player = player
        self.verbose = verbose
        self.done = False
        self.exit_code = EXIT_UNAVAILABLE
        self.message = ""
        self.session: Session | None = None
        #: The scored result, when the check reached one (printed as ``verify`` prints it).
        self.result: LivenessResult | None = None
        self.stopped = False
        #: Why the check ended without a result (a Problem value or a short kind), for ``--json``.
        self.problem = ""
        self._hint = ""

    def _say(self, text: str) -> None:
        if self.verbose:
            print(f"check: {text}", file=sys.stderr)

    def phase_changed(self, phase: Phase, previous: Phase, session: Session | None) -> None:
        self._say(phase.value)
        self.session = session
        if phase is Phase.TIMEOUT or phase is Phase.ERROR:
            problem = session.problem if session is not None else None
            kind = problem.problem if problem is not None else Problem.RUNTIME
            detail = problem.detail if problem is not None and problem.detail else kind.value
            self._end(EXIT_FAIL if kind in FAILED_PROBLEMS else EXIT_UNAVAILABLE, f"{kind.value}: {detail}", kind.value)
        elif phase is Phase.START and previous is not Phase.START:
            self.stopped = True  # the reason (a store failure, a lock-out) is announced right after

    def guidance_changed(self, guidance: Guidance, hold_progress: float) -> None:
        hint = guidance.hint.value
        if hint != self._hint:
            self._hint = hint
            self._say(f"hint {hint}")

    def flash_requested(self, steps: list) -> None:
        self.player.play(steps)

    def flash_stop_requested(self) -> None:
        self.player.stop()

    def outcome_ready(self, session: Session) -> None:
        outcome = session.outcome
        if outcome is None or outcome.result is None:
            reason = outcome.unavailable_reason if outcome is not None else "no outcome"
            self._end(EXIT_UNAVAILABLE, f"scoring unavailable: {reason}", "scoring_unavailable")
            return
        self.session = session
        self.result = outcome.result
        self.done = True

    def remote_start_requested(self, record: StoredSession) -> None:
        self.check.refuse_session(record, "this device is running a check from the command line")

    def locked_out(self, status: LockoutStatus) -> None:
        until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(status.until)) if status.until else "later"
        self._end(EXIT_UNAVAILABLE, f"the device is paused after repeated failed checks until {until}", "locked_out")

    def store_failed(self, problem: StoreProblem) -> None:
        what = {
            "create": "the session could not be created",
            "start": "the session could not be started",
            "locked_out": "the session could not be started: the device is paused",
            "save": "the result could not be saved (nothing counts as passed)",
            "ended": "the session was ended by another program before the result was saved",
        }.get(problem.kind, "the session store failed")
        self._end(EXIT_UNAVAILABLE, f"{what}: {problem.detail}", f"store_{problem.kind}")

    def _end(self, code: int, message: str, problem: str = "") -> None:
        if self.done:
            return
        self.done = True
        self.exit_code = code
        self.message = message
        self.problem = problem


def _drive(check: LiveCheck, run: _Run, player: FlashPlayer, inbox: "queue.SimpleQueue[Callable[[], None]]") -> None:
    """The owner loop: run what the threads posted, play the colours, check deadlines; until the check is over."""
    limit = time.monotonic() + HARD_LIMIT_S
    next_tick = 0.0
    while not run.done:
        if time.monotonic() > limit:
            run._end(EXIT_UNAVAILABLE, f"the check did not end within {HARD_LIMIT_S:.0f} s", "hard_limit")
            break
        wait = max(0.0, min(0.05, player.due_in(), check.cues.due_in(), next_tick - time.monotonic()))
        try:
            job = inbox.get(timeout=wait) if wait > 0 else inbox.get_nowait()
        except queue.Empty:
            job = None
        if job is not None:
            job()
        if run.stopped and not run.done:
            run._end(EXIT_UNAVAILABLE, "the check was stopped", "stopped")
            break
        player.advance()
        check.advance_cues()
        if time.monotonic() >= next_tick:
            check.tick(monotonic_ns())
            next_tick = time.monotonic() + 0.1


def run(args: argparse.Namespace) -> int:
    """Handler of ``livegate check``."""
    try:
        spec = parse_spec(args.source)
    except ConfigError as exc:
        raise LivegateError(str(exc)) from exc
    if spec.kind not in SOURCE_KINDS:
        print(
            f"livegate: `check` cannot show the colours to a {spec.kind} source: run the app (livegate gui) for a "
            f"camera, or use sim:, recording: or file:",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    if args.threshold is not None and not 0.0 <= float(args.threshold) <= 100.0:
        raise LivegateError(f"--threshold must be between 0 and 100, got {args.threshold}")
    kind = MOVEMENT_ONLY if args.challenge == "movement" else MOVEMENT_AND_LIGHT
    settings = load_settings()
    changes: dict[str, object] = {"challenge": kind}
    if args.threshold is not None:
        changes["threshold"] = float(args.threshold)
    settings = replace(settings, **changes)

    service: SessionService | None = SessionService.open(settings=settings) if args.store else None
    inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    check = LiveCheck(
        settings=settings,
        source_spec=args.source,
        store=InlineStoreExecutor(service) if service is not None else None,
        post=inbox.put,
    )
    check.timing_source = TIMING_SOURCE
    check.display_info = {"kind": "none", "note": "colours written to the screen state only (livegate check)"}
    player = FlashPlayer(
        check.screen, on_shown=check.colour_shown, on_finished=check.flash_finished, attenuation=settings.flash_attenuation
    )
    outcome = _Run(check, player, verbose=not args.json)
    check.subscribe(outcome)
    # This command is the screen that runs the check, as the app's kiosk screen is (the store starts a session
    # only while one listens). Events come on the thread that caused them: this one for the check's own store
    # calls (handled at once, in order with their answers), any other through the loop.
    owner = threading.get_ident()

    def on_event(event: SessionEvent) -> None:
        if threading.get_ident() == owner:
            check.store_event(event)
        else:
            inbox.put(lambda: check.store_event(event))

    unsubscribe = service.subscribe(on_event, kiosk=True) if service is not None else None
    try:
        check.start_check(challenge_type=kind)
        _drive(check, outcome, player, inbox)
    finally:
        check.shutdown()
        if unsubscribe is not None:
            unsubscribe()
        if service is not None:
            service.close()
    return report(outcome, as_json=args.json)


def report(outcome: _Run, *, as_json: bool) -> int:
    """Print how the check ended (the result as ``verify`` prints it, or why there is none); return the exit code."""
    if outcome.result is not None:
        return print_result(outcome.result, as_json=as_json)
    message = outcome.message or "the check ended without a result"
    if as_json:
        # A caller reading stdout gets a document for every ending, not only for a scored one.
        print(json.dumps(no_result_document(outcome.exit_code, outcome.problem or "no_result", message), indent=2))
    print(f"livegate: {message}", file=sys.stderr)
    return outcome.exit_code


def no_result_document(exit_code: int, problem: str, message: str) -> dict[str, object]:
    """The ``--json`` document of a check that ended without a scored result.

    ``Status`` says whose doing it was: ``FAILED`` (the participant's: face-fit time-out,
    refused virtual camera; exit 1) or ``UNAVAILABLE`` (the device's: camera, model,
    store; exit 3). There is no confidence and no decision: nothing here is a pass.
    """
    return {
        "Status": "FAILED" if exit_code == EXIT_FAIL else "UNAVAILABLE",
        "Decision": None,
        "Confidence": None,
        "Problem": problem,
        "Message": message,
        "ExitCode": exit_code,
    }
