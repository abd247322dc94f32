"""The generator: complete simulated sessions written as labelled recordings (format v1).

The simulator plays both sides: the participant (live user or attack) and the
app (the challenge: oval, fit, hold, colour sequence). The manifest carries
what a real app would know (challenge with presentation times, camera device
and controls, display facts); ground truth (species, every parameter, seed,
per-frame face boxes) goes only into the recording's ``labels.json``.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app import __version__
from app.core.capture.frame import Frame
from app.core.challenge import MOVEMENT_AND_LIGHT, MOVEMENT_ONLY, Challenge
from app.core.recording import RecordingWriter
from app.core.screen import ScreenState
from app.core.simulate.params import resolve_params
from app.core.simulate.player import ChallengePlayer, PlayerTiming
from app.core.simulate.simulation import HEIGHT, WIDTH, FrameTruth
from app.core.simulate.source import SimSource

log = logging.getLogger(__name__)

#: Virtual clock start of generated sessions (fixed so recordings are reproducible).
GEN_T0_NS = 1_000_000_000_000
#: Hard cap on a generated session's length.
MAX_SECONDS = 20.0
SIMULATOR_VERSION = "1.1.0"


@dataclass
class SessionResult:
    """What one generated session produced."""

    path: Path | None
    frames: int
    fitted: bool
    timed_out: bool
    bytes: int
    labels: dict[str, Any]
    challenge: dict[str, Any]
    #: The manifest's camera and display sections (what the app knows), also when nothing was written.
    camera: dict[str, Any] = field(default_factory=dict)
    display: dict[str, Any] = field(default_factory=dict)


def challenge_seed(species: str, seed: int) -> int:
    """Seed of the app's challenge in a generated session (independent of the participant's)."""
    return (int(seed) * 1_000_003 + zlib.crc32(b"challenge:" + species.encode())) & 0x7FFFFFFFFFFF


def display_info(params: dict[str, Any], timing: PlayerTiming) -> dict[str, Any]:
    """Display facts an app can know (size, refresh, overlay); the luminance it cannot know is a label."""
    w = params["screen_w_m"]
    return {
        "size_mm": [round(w * 1000), round(w / params["screen_aspect"] * 1000)],
        "refresh_hz": timing.refresh_hz,
        "camera_position": "top-centre",
        "overlay_opacity": {"outside_oval": 0.9, "inside_oval": 0.75},
        "flash_gain": timing.flash_gain,
    }


def camera_info(source: SimSource) -> dict[str, Any]:
    """Camera facts as the app would record them for a physical device (no species, no 'sim' kind)."""
    info = source.info
    return {
        "kind": "camera",
        "name": info.device.get("name", ""),
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "device": dict(info.device),
        "controls": dict(info.controls),
    }


def run_session(
    species: str,
    seed: int,
    *,
    out: Path | None = None,
    overrides: dict[str, str] | None = None,
    max_frames: int | None = None,
    timing: PlayerTiming | None = None,
    keep_frames: bool = False,
    frame_sink: Callable[[Frame], None] | None = None,
    challenge_type: str = MOVEMENT_AND_LIGHT,
) -> tuple[SessionResult, list[Frame]]:
    """Play one complete session and (when ``out`` is given) write it as a recording.

    Parameters
    ----------
    species, seed:
        Who stands in front of the camera.
    out:
        Recording path (``.lgrec``); ``None`` writes nothing.
    overrides:
        Parameter overrides (strings, as in a ``sim:`` spec).
    max_frames:
        Stop after this many frames even if the session is not over (tests).
    timing:
        App-flow timings (fit frames, hold, time limit, tail).
    keep_frames:
        Also return the frames (contact sheets, tests).
    frame_sink:
        Called with every frame as it is rendered (the red team scores sessions in memory).
    challenge_type:
        The app's check: the colour sequence, or head-turn cues (``MOVEMENT_ONLY``; replays then replay a
        movement-only session of the victim, who turned at other times and to other sides).

    Returns
    -------
    The session summary and, with ``keep_frames``, the frames.
    """
    overrides = dict(overrides or {})
    overrides["seed"] = str(seed)
    if challenge_type == MOVEMENT_ONLY:
        overrides.setdefault("challenge", "movement")
    params = resolve_params(species, overrides)
    timing = timing or PlayerTiming(flash_gain=float(params.get("flash_gain", 0.86)))
    challenge = Challenge.new(WIDTH, HEIGHT, challenge_type=challenge_type, seed=challenge_seed(species, seed))
    o = challenge.oval
    params["oval"] = [o.cx, o.cy, o.w, o.h]
    params["t0"] = GEN_T0_NS
    screen = ScreenState()
    source = SimSource(species, params, screen=screen, realtime=False)
    source.open()
    sim = source.simulation
    assert sim is not None
    inner = sim.recording
    if inner is not None and challenge.colours and [c.name for c in inner.challenge.colours] == [c.name for c in challenge.colours]:
        # Astronomically rare, but the replayed sequence must differ from this session's.
        challenge = Challenge.new(WIDTH, HEIGHT, seed=challenge_seed(species, seed) + 1)
        challenge = Challenge(challenge.type, o, challenge.colours)
    player = ChallengePlayer(challenge, screen, GEN_T0_NS, timing=timing, seed=seed)
    writer = RecordingWriter(out) if out is not None else None
    truths: list[FrameTruth] = []
    frames: list[Frame] = []
    limit = max_frames or int(MAX_SECONDS * 30)
    try:
        for _ in range(limit):
            frame = source.read()
            truth = source.truth
            assert truth is not None
            truths.append(truth)
            if writer is not None:
                writer.add_frame(frame)
            if keep_frames:
                frames.append(frame)
            if frame_sink is not None:
                frame_sink(frame)
            main = max(truth.faces, key=lambda f: f.box.w, default=None)
            player.step(frame.t_ns, main.box if main is not None else None)
            if player.done:
                break
        labels = make_labels(species, params, source, player, truths)
        camera, display = camera_info(source), display_info(params, timing)
        size = 0
        path = None
        if writer is not None:
            path = writer.close(
                challenge=challenge.to_dict(),
                camera=camera,
                display=display,
                labels=labels,
            )
            size = path.stat().st_size
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        source.close()
    result = SessionResult(path, len(truths), player.fit_ns is not None, player.timed_out, size, labels, challenge.to_dict(),
                           camera, display)
    return result, frames


def make_labels(species: str, params: dict[str, Any], source: SimSource, player: ChallengePlayer, truths: list[FrameTruth]) -> dict[str, Any]:
    """Ground truth of a generated session (the recording's ``labels.json``)."""
    sim = source.simulation
    clean = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}
    labels: dict[str, Any] = {
        "simulator_version": SIMULATOR_VERSION,
        "app_version": __version__,
        "species": species,
        "attack": species not in ("live", "live-hard"),
        "seed": int(params["seed"]),
        "behaviour": params["behaviour"],
        "params": clean,
        "latency_ms": params.get("latency_ms"),
        "face_source": sim.face.source if sim is not None else "",
        "session": {
            "fit_ns": player.fit_ns,
            "timed_out": player.timed_out,
            "colours_end_ns": player.colours_end_ns or None,
        },
        "frames": [t.to_dict() for t in truths],
    }
    if sim is not None and sim.recording is not None:
        labels["replayed_session"] = sim.recording.labels()
    return labels


def generate(species: str, count: int, seed: int, out_dir: Path, *, overrides: dict[str, str] | None = None,
             challenge_type: str = MOVEMENT_AND_LIGHT) -> list[SessionResult]:
    """Write ``count`` recordings ``<species>-<seed+i>.lgrec`` (movement-only: ``<species>-movement-<seed+i>``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    infix = "-movement" if challenge_type == MOVEMENT_ONLY else ""
    for i in range(count):
        s = seed + i
        path = out_dir / f"{species}{infix}-{s:06d}.lgrec"
        result, _ = run_session(species, s, out=path, overrides=overrides, challenge_type=challenge_type)
        log.info("wrote %s: %d frames, %.1f MB%s", path, result.frames, result.bytes / 1e6,
                 "" if result.fitted else " (face never fitted the oval: time-out)")
        results.append(result)
    return results
