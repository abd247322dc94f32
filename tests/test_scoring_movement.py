"""The movement-only check: cues in the challenge, the movement stage on hand-made landmark tracks, the cue player."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Challenge, MoveStep, make_move_sequence
from app.core.check.cues import CuePlayer
from app.core.capture.frame import SourceInfo
from app.core.scoring.contract import ABSTAIN, FAIL, PASS
from app.core.scoring.features import SessionData
from app.core.scoring.stages.base import SessionInput
from app.core.scoring.stages.movement import MovementStage, nose_parallax, turn_signal
from app.core.screen import ScreenState
from app.core.simulate.face import get_face
from app.core.simulate.motion import CueFollower
from app.core.simulate.render import PinholeCamera, rotation

MS = 1_000_000
T0 = 10_000 * MS


@pytest.fixture(autouse=True)
def _own_face_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Faces built here stay out of the simulator's process-wide face cache: a face left there by an earlier
    test changes the frames tests/test_sim_forgers.py compares with its reference digests."""
    from app.core.simulate import face as face_module

    monkeypatch.setattr(face_module, "_CACHE", {})


def session_data(points: np.ndarray, t_ns: np.ndarray) -> SessionData:
    n = len(t_ns)
    z = np.zeros(n)
    return SessionData(
        index=np.arange(n), t_ns=t_ns, n_faces=np.ones(n, np.int32), points=points.astype(np.float32),
        box=np.zeros((n, 4)), fit_box=np.zeros((n, 4)), iod=z, blink=z, regions=np.zeros((n, 19, 3)),
        grid=np.zeros((n, 8, 8, 3)), noise=np.zeros((n, 12, 2)), tnoise=np.zeros((n, 12)), diff_prev=z,
        dhash=np.zeros(n, np.uint64), blockiness=z, sharpness=z, luma=z, clip_hi=z, clip_lo=z, frame_size=(640, 480),
    )


def cue_log(challenge: Challenge, start_ns: int) -> list[tuple[int, str | None]]:
    """Cue changes as a player writes them, filling ``challenge.cue_ns``."""
    log: list[tuple[int, str | None]] = [(start_ns, None)]
    t = start_ns
    for m in challenge.moves:
        t += m.pause_ms * MS
        log.append((t, m.direction))
        challenge.cue_ns.append(t)
        t += m.hold_ms * MS
        log.append((t, None))
    return log


def track(challenge: Challenge, *, flat: bool = False, follow: list[tuple[int, str | None]] | None = None,
          reaction_ms: float = 350.0) -> SessionInput:
    """Landmarks of a head (or a flat picture of it) at 0.45 m turning on the cues in ``follow``."""
    face = get_face(None)
    pts3 = face.landmarks3d.copy()
    if flat:
        pts3[:, 2] = 0.0
    cam = PinholeCamera(640, 480, 65.0)
    log = follow if follow is not None else cue_log(challenge, T0)
    follower = CueFollower(lambda: log, 0, amplitude_deg=25.0, reaction_ms=reaction_ms, reaction_jitter_ms=50.0, turn_s=0.45, seed=3)
    t_ns = np.arange(T0 - 1500 * MS, T0 + 9500 * MS, 33 * MS, dtype=np.int64)
    points = np.stack([cam.project(pts3 @ rotation(follower.yaw(t / 1e9), 0.0, 0.0).T + [0.0, 0.0, 0.45]) for t in t_ns])
    return SessionInput(session_data(points, t_ns), challenge, SourceInfo(kind="camera", name="test"))


def movement_challenge(directions: tuple[str, ...] = ("left", "right", "left")) -> Challenge:
    ch = Challenge.new(640, 480, challenge_type=MOVEMENT_ONLY, seed=7)
    ch.moves = [MoveStep(d, 900, 1500) for d in directions]
    return ch


def test_movement_challenge_has_random_cues_and_round_trips() -> None:
    ch = Challenge.new(640, 480, challenge_type=MOVEMENT_ONLY, seed=1)
    assert ch.colours == [] and len(ch.moves) == 3 and ch.assurance == "reduced"
    assert Challenge.new(640, 480, seed=1).assurance == "standard"
    assert "moves" not in Challenge.new(640, 480, challenge_type=MOVEMENT_AND_LIGHT, seed=1).to_dict()
    ch.cue_ns = [5, 6]
    back = Challenge.from_dict(ch.to_dict())
    assert back.moves == ch.moves and back.cue_ns == [5, 6]
    sequences = {tuple(m.direction for m in make_move_sequence(random.Random(s))) for s in range(200)}
    assert len(sequences) == 8  # every left/right sequence of three occurs
    bad = ch.to_dict()
    bad["moves"][0]["direction"] = "up"
    with pytest.raises(ValueError):
        Challenge.from_dict(bad)


def test_nose_parallax_sees_a_3d_head_not_a_turned_picture() -> None:
    for flat, low, high in ((False, 0.3, 2.0), (True, 0.0, 1e-3)):
        inp = track(movement_challenge(), flat=flat)
        pts = inp.data.points.astype(np.float64)
        nose = nose_parallax(pts, pts[0])
        cheek, _ = turn_signal(pts)
        assert low <= np.nanmax(np.abs(nose)) <= high
        # Perspective alone moves the cheek signal of a turned picture a little; a head moves it far more.
        assert bool(np.ptp(cheek) > 0.6) == (not flat)


def test_a_head_following_the_cues_passes() -> None:
    check = MovementStage().evaluate(track(movement_challenge()))
    assert check.verdict == PASS and not check.hard_fail
    assert check.evidence.followed == 3 and check.code == "movement.followed"
    assert all(250 < c["latency_ms"] < 900 for c in check.evidence.cues)


def test_a_picture_turned_on_cue_fails_hard() -> None:
    check = MovementStage().evaluate(track(movement_challenge(), flat=True))
    assert check.verdict == FAIL and check.hard_fail
    assert "parallax" in check.reason and check.code == "movement.not_followed"


def test_a_replay_turning_at_other_times_and_sides_fails() -> None:
    ch = movement_challenge(("left", "right", "left"))
    other = movement_challenge(("right", "left", "right"))
    recorded = cue_log(other, T0 + 700 * MS)
    check = MovementStage().evaluate(track(ch, follow=recorded))
    cue_log(ch, T0)  # this session's cue times
    check = MovementStage().evaluate(track(ch, follow=recorded))
    assert check.verdict == FAIL and check.hard_fail


def test_too_quick_an_answer_is_not_human() -> None:
    ch = movement_challenge()
    log = cue_log(ch, T0)
    early = [(t - 400 * MS, d) for t, d in log]  # turns that began before the cues (anticipated by a replay)
    check = MovementStage().evaluate(track(ch, follow=early, reaction_ms=150.0))
    assert check.verdict == FAIL and check.hard_fail


def test_cues_not_shown_or_face_missing_abstain() -> None:
    ch = movement_challenge()
    inp = track(ch)
    inp.challenge.cue_ns = inp.challenge.cue_ns[:1]
    assert MovementStage().evaluate(inp).verdict == ABSTAIN
    ch = movement_challenge()
    inp = track(ch)
    inp.data.points[inp.data.t_ns > ch.cue_ns[1]] = np.nan
    check = MovementStage().evaluate(inp)
    assert check.verdict == ABSTAIN and check.score is None


def test_a_turn_seen_before_the_face_is_lost_counts() -> None:
    """A head turned further than the landmark model follows loses its landmarks after the turn was seen."""
    ch = movement_challenge()
    ch.moves[1] = MoveStep(ch.moves[1].direction, 900, 2600)  # a long cue: the face is lost for most of it
    inp = track(ch)
    rel = (inp.data.t_ns - ch.cue_ns[1]) / 1e6
    # The face is lost 750 ms after the second cue (the turn is seen by then) until the end of that cue.
    inp.data.points[(rel > 750) & (rel < ch.moves[1].hold_ms + 300)] = np.nan
    check = MovementStage().evaluate(inp)
    cue = check.evidence.cues[1]
    assert cue["face_fraction"] < MovementStage().options.min_face_fraction and cue["turn_frames"] >= 3
    assert check.verdict == PASS and check.evidence.followed == 3
    # Lost before the turn could be seen: that cue cannot be judged (no decision, never a pass).
    inp = track(movement_challenge())
    rel = (inp.data.t_ns - inp.challenge.cue_ns[1]) / 1e6
    inp.data.points[(rel > 250) & (rel < inp.challenge.moves[1].hold_ms + 300)] = np.nan
    check = MovementStage().evaluate(inp)
    assert check.verdict == ABSTAIN and check.code == "movement.face_not_in_view" and check.score is None
    # A picture turned on cue that then leaves the view shows no turn before it is lost: no pass either.
    inp = track(movement_challenge(), flat=True)
    rel = (inp.data.t_ns - inp.challenge.cue_ns[1]) / 1e6
    inp.data.points[(rel > 750) & (rel < inp.challenge.moves[1].hold_ms + 300)] = np.nan
    assert MovementStage().evaluate(inp).verdict != PASS


def test_a_landmark_slip_does_not_move_the_latency() -> None:
    """One frame where the landmark model slips on a turned face leaves the cue's answer as it was."""
    clean = MovementStage().evaluate(track(movement_challenge()))
    inp = track(movement_challenge())
    ch = inp.challenge
    rel = (inp.data.t_ns - ch.cue_ns[2]) / 1e6
    pts = inp.data.points
    iod = float(np.linalg.norm(pts[0, [362, 263]].mean(axis=0) - pts[0, [33, 133]].mean(axis=0)))
    toward = 1.0 if ch.moves[2].direction == "left" else -1.0  # the cued side in image x (eyes order)
    toward *= float(np.sign(pts[0, 263, 0] - pts[0, 33, 0]))
    # Late in the third cue, while the head is turned: the nose tip read back at the face's middle for one
    # frame, then too far toward the cued side for one frame (as seen on simulated live-hard heads).
    low, high = (int(np.argmin(np.abs(rel - at))) for at in (1300, 1400))
    current = nose_parallax(pts.astype(np.float64), np.median(pts[inp.data.t_ns < ch.cue_ns[0]].astype(np.float64), axis=0))
    pts[low, 4, 0] -= toward * abs(current[low]) * iod
    pts[high, 4, 0] += toward * 0.3 * iod
    slipped = MovementStage().evaluate(inp)
    assert slipped.verdict == PASS and slipped.evidence.followed == 3
    assert slipped.evidence.cues[2]["latency_ms"] == pytest.approx(clean.evidence.cues[2]["latency_ms"], abs=40)
    # Without the running median the slip would have been taken for the start of the turn.
    raw = MovementStage(dataclasses.replace(MovementStage().options, smooth_frames=1)).evaluate(inp)
    assert raw.evidence.cues[2]["latency_ms"] > clean.evidence.cues[2]["latency_ms"] + 300


def test_cue_player_writes_cues_to_the_screen_and_reports_them() -> None:
    now = [0]
    shown: list[tuple[int, str, int]] = []
    finished: list[int] = []
    hidden: list[tuple[int, int]] = []
    screen = ScreenState()
    player = CuePlayer(screen, on_shown=lambda i, d, t: shown.append((i, d, t)), on_finished=finished.append,
                       on_hidden=lambda i, t: hidden.append((i, t)), clock=lambda: now[0])
    steps = [MoveStep("left", 800, 1400), MoveStep("right", 700, 1300)]
    player.play(steps)
    assert player.active and player.direction is None and player.due_in() == pytest.approx(0.8)
    for t_ms in range(0, 5000, 50):
        now[0] = t_ms * MS
        player.advance()
    assert [(i, d) for i, d, _ in shown] == [(0, "left"), (1, "right")]
    assert shown[0][2] == 800 * MS and shown[1][2] == (800 + 1400 + 700) * MS
    assert finished == [(800 + 1400 + 700 + 1300) * MS] and not player.active
    # Each cue is reported taken down when its hold time is over (a view must remove its arrow then).
    assert hidden == [(0, (800 + 1400) * MS), (1, finished[0])]
    assert [d for _, d in screen.cues()] == [None, "left", None, "right", None]
    with pytest.raises(ValueError):
        player.play([])
