"""The movement-only check: cues in the challenge, the movement stage on hand-made landmark tracks, the cue player."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, REPEAT_PAUSE_MS, Challenge, MoveStep, make_move_sequence
from app.core.check.cues import CuePlayer
from app.core.capture.frame import SourceInfo
from app.core.scoring.contract import ABSTAIN, FAIL, PASS
from app.core.scoring.features import SessionData
from app.core.scoring.stages.base import SessionInput
from app.core.scoring.stages.movement import MovementOptions, MovementStage, nose_parallax, turn_signal, unprompted_movements
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
    points = np.stack([cam.project(pts3 @ rotation(*follower.turn(t / 1e9), 0.0).T + [0.0, 0.0, 0.45]) for t in t_ns])
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
    sequences = {tuple(m.direction for m in make_move_sequence(random.Random(s))) for s in range(600)}
    # Every sequence of three with at least one turn and one nod occurs (4**3 - 2 * 2**3), and no other.
    assert len(sequences) == 48
    assert all(set(q) & {"left", "right"} and set(q) & {"up", "down"} for q in sequences)
    # A cue repeating the one before comes only after the head has had time to come back (a slow person's
    # return is a reaction and a movement), other pauses keep their full random range.
    pauses = {True: [], False: []}
    for s in range(600):
        steps = make_move_sequence(random.Random(s))
        for before, step in zip(steps, steps[1:]):
            pauses[step.direction == before.direction].append(step.pause_ms)
    assert pauses[True] and min(pauses[True]) >= REPEAT_PAUSE_MS
    assert min(pauses[False]) < REPEAT_PAUSE_MS
    bad = ch.to_dict()
    bad["moves"][0]["direction"] = "sideways"
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


def bent(radius: float, axis: str) -> "np.ndarray":
    """The face's landmarks printed on paper bent around a vertical (``axis`` "v") or horizontal ("h") axis,
    convex toward the camera: the sheet's depth grows with the distance from its ridge along one axis only."""
    face = get_face(None)
    pts3 = face.landmarks3d.copy()
    across = pts3[:, 0] if axis == "v" else pts3[:, 1] - pts3[4, 1]  # ridge through the nose tip
    pts3[:, 2] = radius - np.sqrt(np.maximum(radius**2 - across**2, 0.0))
    return pts3


def track_points(challenge: Challenge, pts3: np.ndarray, *, nod_deg: float = 12.0, turn_deg: float = 25.0) -> SessionInput:
    """Landmarks of ``pts3`` at 0.45 m turning and nodding on this session's cues."""
    cam = PinholeCamera(640, 480, 65.0)
    log = cue_log(challenge, T0)
    follower = CueFollower(lambda: log, 0, amplitude_deg=turn_deg, reaction_ms=350.0, reaction_jitter_ms=50.0,
                           turn_s=0.45, seed=3, pitch_amplitude_deg=nod_deg)
    t_ns = np.arange(T0 - 1500 * MS, T0 + 9500 * MS, 33 * MS, dtype=np.int64)
    points = np.stack([cam.project(pts3 @ rotation(*follower.turn(t / 1e9), 0.0).T + [0.0, 0.0, 0.45]) for t in t_ns])
    return SessionInput(session_data(points, t_ns), challenge, SourceInfo(kind="camera", name="test"))


def test_a_head_turning_and_nodding_passes_with_depth_in_both_axes() -> None:
    ch = movement_challenge(("up", "left", "down"))
    check = MovementStage().evaluate(track_points(ch, get_face(None).landmarks3d.copy(), nod_deg=10.0))
    assert check.verdict == PASS and check.code == "movement.followed", check.reason
    assert check.evidence.depth_turn >= check.evidence.min_depth
    assert [c["axis"] for c in check.evidence.cues] == ["v", "h", "v"]
    assert all(c["peak"] >= check.evidence.min_nod for c in check.evidence.cues if c["axis"] == "v")


@pytest.mark.parametrize("axis, cues, flat_when", [
    ("v", ("up", "left", "down", "right"), "nodding"),   # bent around a vertical axis: flat along the nod
    ("h", ("left", "up", "right", "down"), "turning"),   # bent around a horizontal axis: flat along the turn
])
def test_a_print_bent_around_one_axis_is_flat(axis: str, cues: tuple[str, ...], flat_when: str) -> None:
    ch = movement_challenge(cues)
    check = MovementStage().evaluate(track_points(ch, bent(0.08, axis), nod_deg=20.0, turn_deg=30.0))
    assert check.verdict == FAIL and check.hard_fail
    assert check.code == "movement.flat_axis" and f"flat when {flat_when}" in check.reason, check.reason


def test_a_turn_lost_a_few_frames_in_is_no_decision_not_flat() -> None:
    """A face lost a few frames into its turn leaves a depth read from the turn's first degrees: no decision
    (``movement.face_not_in_view``), neither "flat" nor a pass. The same face, its turns in view throughout, is
    judged on its depth: here a face 0.9 as deep as the model's reads just under the limit and fails as flat."""
    ch = movement_challenge(("left", "up", "right", "down"))
    shallow = get_face(None).landmarks3d.copy()
    shallow[:, 2] *= 0.9
    seen = MovementStage().evaluate(track_points(ch, shallow, nod_deg=12.0, turn_deg=25.0))
    assert seen.code == "movement.flat_axis" and all(c["followed"] for c in seen.evidence.cues), seen.reason
    lost = track_points(ch, shallow, nod_deg=12.0, turn_deg=25.0)
    rel = (lost.data.t_ns - ch.cue_ns[0]) / 1e6
    # Lost 900 ms after the first cue (a few frames after the turn passed min_turn) to the end of that cue.
    lost.data.points[(rel > 900) & (rel < ch.moves[0].hold_ms + 300)] = np.nan
    check = MovementStage().evaluate(lost)
    cue = check.evidence.cues[0]
    assert cue["followed"] and cue["face_fraction"] < 1.0 and cue["turn_frames"] < MovementStage().options.min_depth_frames, cue
    assert check.verdict == ABSTAIN and check.code == "movement.face_not_in_view" and check.score is None, check.reason


def test_a_nod_too_small_to_tell_abstains() -> None:
    # A head that hardly nods shows neither parallax nor foreshortening: no decision, never a pass.
    ch = movement_challenge(("up", "left", "down"))
    check = MovementStage().evaluate(track_points(ch, get_face(None).landmarks3d.copy(), nod_deg=1.0))
    assert check.verdict == ABSTAIN and check.code == "movement.too_little" and "nodding" in check.reason


def test_turns_only_recordings_are_judged_as_before() -> None:
    # A recording made before nods existed (left/right cues only) keeps the whole-face parallax and its rule.
    ch = movement_challenge(("left", "right", "left"))
    back = Challenge.from_dict(ch.to_dict())
    check = MovementStage().evaluate(track(back))
    assert check.verdict == PASS and check.code == "movement.followed"
    assert all(c["axis"] == "h" for c in check.evidence.cues)
    flat = MovementStage().evaluate(track(Challenge.from_dict(ch.to_dict()), flat=True))
    assert flat.code == "movement.not_followed" and flat.hard_fail


def test_a_curved_print_is_bent_around_the_axis_drawn_for_it() -> None:
    from app.core.challenge import make_oval
    from app.core.simulate.motion import MotionParams
    from app.core.simulate.params import sample_params
    from app.core.simulate.species import make_print_subject

    face = get_face(None)
    cam = PinholeCamera(640, 480, 65.0)
    p = sample_params("curved-print", 3)
    depth_spread = {}
    for axis in ("v", "h"):
        prop = make_print_subject(face, cam, MotionParams(), make_oval(640, 480, random.Random(1)), {**p, "bend_axis": axis},
                                  autostart=False)
        lm = prop.layer.landmarks3d
        assert lm is not None
        # Depth grows with the distance from the ridge (through the sheet's centre, the local origin) along one
        # axis only: across it, hardly at all.
        along_x = np.corrcoef(np.abs(lm[:, 0]), lm[:, 2])[0, 1]
        along_y = np.corrcoef(np.abs(lm[:, 1]), lm[:, 2])[0, 1]
        depth_spread[axis] = (round(float(along_x), 2), round(float(along_y), 2))
        # Height field, normals and texture stay consistent in shape.
        assert prop.layer.height.shape == prop.layer.albedo.shape[:2] == prop.layer.normals.shape[:2]
    assert depth_spread["v"][0] > 0.9 and depth_spread["h"][1] > 0.9, depth_spread
    assert abs(depth_spread["v"][1]) < 0.5 and abs(depth_spread["h"][0]) < 0.5, depth_spread
    # The cue parameters draw the axis for movement-only checks (both occur over seeds).
    from app.core.simulate.params import cue_params

    assert {cue_params("curved-print", s)["cue_bend_axis"] for s in range(20)} == {"h", "v"}


# -- movements no cue asked for, and late answers ------------------------------------------------------------------


def swaying_track(challenge: Challenge, log: list[tuple[int, str | None]], *, sway_deg: float = 0.0,
                  reaction_ms: float = 350.0) -> SessionInput:
    """A head at 0.45 m turning and nodding on the cue changes in ``log`` (this session's, or a recording's), with a
    slow sway of its own: two incommensurate sinusoids per angle (not the simulator's sway model), ``sway_deg``
    peak to peak at most."""
    pts3 = get_face(None).landmarks3d.copy()
    cam = PinholeCamera(640, 480, 65.0)
    follower = CueFollower(lambda: log, 0, amplitude_deg=25.0, reaction_ms=reaction_ms, reaction_jitter_ms=50.0, turn_s=0.45,
                           seed=3, pitch_amplitude_deg=12.0)
    t_ns = np.arange(T0 - 3000 * MS, T0 + 14000 * MS, 33 * MS, dtype=np.int64)

    def sway(t: float, f1: float, f2: float, phase: float) -> float:
        return np.radians(sway_deg) / 4 * (np.sin(2 * np.pi * f1 * t + phase) + np.sin(2 * np.pi * f2 * t + 2 * phase))

    frames = []
    for t in t_ns / 1e9:
        yaw, pitch = follower.turn(t)
        rot = rotation(yaw + sway(t, 0.23, 0.61, 0.4), pitch + sway(t, 0.17, 0.47, 1.9), 0.0)
        frames.append(cam.project(pts3 @ rot.T + [0.0, 0.0, 0.45]))
    return SessionInput(session_data(np.stack(frames), t_ns), challenge, SourceInfo(kind="camera", name="test"))


def long_pause_challenge(directions: tuple[str, ...] = ("left", "up", "right")) -> Challenge:
    ch = Challenge.new(640, 480, challenge_type=MOVEMENT_ONLY, seed=7)
    ch.moves = [MoveStep(d, 2400, 1500) for d in directions]
    return ch


def with_extra_moves(log: list[tuple[int, str | None]], extra: list[tuple[int, str]]) -> list[tuple[int, str | None]]:
    """``log`` with extra movements of 900 ms starting at the given times (ns): a recording's own cues."""
    out = list(log)
    for t, d in extra:
        out += [(t, d), (t + 900 * MS, None)]
    return sorted(out, key=lambda e: e[0])


def test_a_genuine_head_that_sways_while_waiting_passes() -> None:
    # A head that sways up to 6 degrees (peak to peak) while waiting and answering: small movements are no evidence.
    ch = long_pause_challenge()
    check = MovementStage().evaluate(swaying_track(ch, cue_log(ch, T0), sway_deg=6.0))
    assert check.verdict == PASS and check.code == "movement.followed", check.reason
    assert check.evidence.unprompted == []


def test_a_replay_moving_on_its_own_cues_fails_even_when_it_matches_this_checks_cues() -> None:
    # The recording follows every cue of this check (by chance), but also makes the movements of its own check's
    # other cues: two head movements while this check showed none.
    ch = long_pause_challenge()
    log = cue_log(ch, T0)
    shown = list(ch.cue_ns)
    extra = [(shown[1] - 1000 * MS, "down"), (shown[2] - 1900 * MS, "left")]
    check = MovementStage().evaluate(swaying_track(ch, with_extra_moves(log, extra)))
    assert check.verdict == FAIL and check.hard_fail and check.code == "movement.unprompted", check.reason
    assert check.evidence.followed == 3 and len(check.evidence.unprompted) == 2
    assert [u["side"] for u in check.evidence.unprompted] == ["down", "left"]
    # One such movement (a person may look away once): no decision, never a pass.
    ch = long_pause_challenge()
    log = cue_log(ch, T0)
    check = MovementStage().evaluate(swaying_track(ch, with_extra_moves(log, [(ch.cue_ns[1] - 1000 * MS, "down")])))
    assert check.verdict == ABSTAIN and check.code == "movement.unprompted_once" and check.score is None
    assert "nodded down" in check.reason


def test_a_movement_before_the_cue_could_be_seen_is_unprompted() -> None:
    ch = long_pause_challenge()
    log = cue_log(ch, T0)
    # Both nods and turns of the recording begin 600 ms before this check's cues: turned before they were shown.
    early = [(t - 900 * MS, d) if d is not None else (t, d) for t, d in log]
    check = MovementStage().evaluate(swaying_track(ch, early))
    assert check.verdict == FAIL and check.hard_fail
    assert check.code in ("movement.unprompted", "movement.out_of_time"), check.reason
    assert len(check.evidence.unprompted) >= 2


def test_a_late_answer_the_right_way_is_no_decision_and_a_wrong_way_fails() -> None:
    ch = long_pause_challenge()
    ch.moves[0] = MoveStep(ch.moves[0].direction, 2400, 2300)  # a long cue: the slow answer is seen within it
    log = cue_log(ch, T0)
    # The person answers the first cue 1.3 s late (half the turn about 1.8 s after the cue), the others on time.
    late = [(t + 1300 * MS, d) if t == ch.cue_ns[0] else (t, d) for t, d in log]
    check = MovementStage().evaluate(swaying_track(ch, late))
    assert check.verdict == ABSTAIN and check.code == "movement.late" and check.score is None, check.reason
    assert check.evidence.cues[0]["latency_ms"] > 1500 and check.params["cue"] == 1
    # The same slow answer the wrong way is a failure, as before.
    wrong = [(t + 1300 * MS, "right") if t == ch.cue_ns[0] else (t, d) for t, d in log]
    check = MovementStage().evaluate(swaying_track(ch, wrong))
    assert check.verdict == FAIL and check.hard_fail and check.code == "movement.not_followed"


def test_a_turned_face_found_again_after_the_cue_is_the_same_turn_not_a_new_one() -> None:
    # A slow person's left turn (cue at 0, up for 1400 ms): the landmarks lose the strongly turned face at
    # 1300 ms (held-out live-hard 61023) and find it again at 2100 ms, still turned, the first readings settling (0.10, 0.25, then 0.40),
    # before it turns back. The turn began while the cue was up: nothing unprompted.
    t_ms = np.arange(-1500.0, 4000.0, 33.0)
    turn = np.clip((t_ms - 300.0) / 400.0, 0.0, 1.0) * 0.4
    back = np.clip((t_ms - 2300.0) / 400.0, 0.0, 1.0)
    h = turn * (1.0 - back)
    lost = (t_ms >= 1300.0) & (t_ms < 2100.0)
    h[lost] = np.nan
    # Two frames of a wrong fit while it is lost (the landmark model's guess on a face it barely sees).
    h[np.flatnonzero(t_ms >= 1500.0)[:2]] = -0.03
    found = np.flatnonzero(t_ms >= 2100.0)[:2]
    h[found] = [0.10, 0.25]
    moves = [MoveStep("left", 1500, 1400), MoveStep("up", 1000, 1400)]
    cue_ns = [0, 3000 * MS]
    t_ns = (t_ms * MS).astype(np.int64)
    opts = MovementOptions()
    assert unprompted_movements(t_ns, {"h": h}, moves, cue_ns, opts) == []
    # The same readings with the face in view at the neutral throughout the gap: a second left turn after the
    # cue's time is over, which no cue asked for.
    seen = h.copy()
    seen[lost] = 0.0
    found_again = unprompted_movements(t_ns, {"h": seen}, moves, cue_ns, opts)
    assert [u.side for u in found_again] == ["left"] and found_again[0].onset_ms > 2100.0
