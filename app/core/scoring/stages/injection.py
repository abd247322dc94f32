"""Injection: is the stream coming from a real camera, live?

Evidence, strongest first:

* the device verdict from enumeration (virtual-camera product names,
  v4l2loopback driver or bus) - names can be forged, so a clean verdict is
  not proof;
* duplicated frames (a file played at another frame rate repeats frames; a
  real sensor never delivers two identical frames because of its noise);
* frame timing: intervals of a real camera are steady; players and virtual
  devices jitter and stall;
* missing sensor noise in dark areas (decoded video is smooth there), both
  spatial and frame to frame;
* re-encoding block artefacts (8-pixel block borders around the face).

The light stage is the strongest injection check of all (an injected stream
does not carry this session's colours); fusion combines both.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from app.core.enums import Verdict
from app.core.scoring.contract import CheckResult
from app.core.scoring.evidence import UNSET, Evidence, number
from app.core.scoring.features import SessionData
from app.core.scoring.reasons import ReasonCode
from app.core.scoring.registry import STAGES, StageSpec
from app.core.scoring.stages.base import SessionInput, logistic_score, nanmedian, result


#: Robust ranges the score's features are clipped to.
FEATURE_RANGES: dict[str, tuple[float, float]] = {"jitter": (0.0, 0.5), "blockiness": (0.5, 2.0)}


class InjectionReason(ReasonCode):
    VIRTUAL_CAMERA = "injection.virtual_camera", "The camera is a virtual camera ({why}), not a physical one."
    DUPLICATED_FRAMES = (
        "injection.duplicated_frames",
        "{dup:.0%} of the frames were exact copies of the previous one, which a live camera never produces.",
    )
    PLAYED_FILE = (
        "injection.played_file",
        "The video looked played from a file: no camera noise in dark areas, irregular timing or compression blocks.",
    )
    LIVE_CAMERA = "injection.live_camera", "The video came steadily from a physical camera with normal sensor noise."
    SIGNS_OF_REPLAY = (
        "injection.signs_of_replay",
        "The video showed signs of a recording played into a camera (timing, missing noise or compression).",
    )


@dataclass
class InjectionEvidence(Evidence):
    """What the injection stage measured (fields in the result document's order)."""

    frames: int = UNSET
    interval_ms: float = UNSET
    jitter: float = UNSET
    max_gap_ms: float = UNSET
    stalls: int = UNSET
    fps: float = UNSET
    dup_fraction: float = UNSET
    diff_prev_median: float = UNSET
    same_hash_fraction: float = UNSET
    dark_patches: float = UNSET
    dark_noise: float = UNSET
    temporal_noise: float = UNSET
    blockiness: float = UNSET
    device_name: str = UNSET
    device_virtual: bool = UNSET
    source_kind: str = UNSET
    features: dict[str, float] = UNSET


#: The measurements the score's features are read from.
FEATURE_KEYS = ("jitter", "dark_noise", "temporal_noise", "blockiness", "dup_fraction", "stalls", "same_hash_fraction")


@dataclass
class InjectionOptions:
    """Options of the injection stage.

    Attributes
    ----------
    settle_ms:
        Frames in the first this many milliseconds are left out (camera start-up).
    dup_diff:
        Mean absolute thumbnail difference (grey levels) below which two frames count as identical.
    max_dup_fraction:
        Share of duplicated frames above which the stream is called injected (hard failure).
    stall_ms:
        A gap between frames longer than this counts as a stall.
    dark_level:
        Probe patches darker than this (grey level) measure sensor noise.
    coef, bias:
        Logistic score over the behavioural features (fitted on training seeds).
    hard_score:
        Below this score the behavioural evidence alone is a hard failure.
    """

    settle_ms: float = 400.0
    dup_diff: float = 0.05
    max_dup_fraction: float = 0.04
    stall_ms: float = 400.0
    dark_level: float = 70.0
    coef: dict[str, float] = field(
        default_factory=lambda: {"jitter": -8.0, "dark_noise": 2.0, "temporal_noise": 2.0, "blockiness": -6.0}
    )
    bias: float = 4.0
    hard_score: float = 0.02


def _tail(d: SessionData, t0_ns: int) -> SessionData:
    """The frames from ``t0_ns`` on (only the arrays the injection stage reads)."""
    keep = d.t_ns >= t0_ns
    if keep.sum() < 3:
        return d
    return dataclasses.replace(
        d, t_ns=d.t_ns[keep], diff_prev=d.diff_prev[keep], dhash=d.dhash[keep], noise=d.noise[keep],
        tnoise=d.tnoise[keep], blockiness=d.blockiness[keep], index=d.index[keep], n_faces=d.n_faces[keep],
    )


class InjectionStage:
    """Session stage: ``evaluate(session) -> CheckResult`` named ``injection``."""

    name = "injection"

    def __init__(self, options: InjectionOptions) -> None:
        self.options = options

    @classmethod
    def create(cls, options: InjectionOptions | None = None) -> "InjectionStage":
        return cls(options or InjectionOptions())

    def close(self) -> None:
        """Nothing to release."""

    def measure(self, d: SessionData) -> InjectionEvidence:
        """Behavioural measurements of the stream (the first ``settle_ms`` of capture are left out)."""
        o = self.options
        ev = InjectionEvidence(frames=d.n)
        if d.n > 10:
            # A camera's first frames settle (exposure, white balance, buffering): not evidence of anything.
            d = _tail(d, int(d.t_ns[0] + o.settle_ms * 1e6))
        if d.n >= 3:
            iv = np.diff(d.t_ns).astype(np.float64) / 1e6
            med = float(np.median(iv))
            mad = float(np.median(np.abs(iv - med)))
            ev.interval_ms = med
            ev.jitter = mad / med if med > 0 else math.nan
            ev.max_gap_ms = float(iv.max())
            ev.stalls = int((iv > max(o.stall_ms, 5 * med)).sum())
            ev.fps = 1000.0 / med if med > 0 else math.nan
        dp = d.diff_prev[np.isfinite(d.diff_prev)]
        ev.dup_fraction = float((dp < o.dup_diff).mean()) if dp.size else math.nan
        ev.diff_prev_median = float(np.median(dp)) if dp.size else math.nan
        if d.n >= 2:
            same_hash = d.dhash[1:] == d.dhash[:-1]
            ev.same_hash_fraction = float(same_hash.mean())
        # Dark-area noise: probe patches darker than dark_level, spatial and temporal.
        levels = d.noise[:, :, 0]
        sigma = d.noise[:, :, 1]
        dark = np.isfinite(levels) & (levels < o.dark_level) & (levels > 2)
        ev.dark_patches = float(dark.mean()) if dark.size else 0.0
        if dark.sum() >= 10:
            ev.dark_noise = float(np.median(sigma[dark]))
            tn = d.tnoise[dark]
            tn = tn[np.isfinite(tn)]
            ev.temporal_noise = float(np.median(tn)) if tn.size else math.nan
        else:
            # No dark area: use every patch (noise is harder to see in bright, textured areas).
            ev.dark_noise = nanmedian(sigma)
            ev.temporal_noise = nanmedian(d.tnoise)
        ev.blockiness = nanmedian(d.blockiness)
        return ev

    def features(self, ev: InjectionEvidence) -> dict[str, float]:
        """Behavioural features of the score (noise in log form, all clipped to robust ranges)."""
        out = {k: number(getattr(ev, k)) for k in FEATURE_KEYS}
        # Noise spans an order of magnitude: log form, capped so that a very noisy sensor buys nothing more.
        for k in ("dark_noise", "temporal_noise"):
            v = out[k]
            out[k] = min(math.log(max(v, 0.05)), math.log(3.0)) if math.isfinite(v) else math.nan
        for k, (lo, hi) in FEATURE_RANGES.items():
            if math.isfinite(out[k]):
                out[k] = float(min(hi, max(lo, out[k])))
        return out

    def evaluate(self, session: SessionInput) -> CheckResult:
        """Judge whether the stream comes live from a real camera."""
        o = self.options
        device = session.source.device or {}
        ev = self.measure(session.data)
        ev.device_name = device.get("name", session.source.name)
        ev.device_virtual = bool(device.get("virtual", False))
        ev.source_kind = session.source.kind
        feats = self.features(ev)
        ev.features = feats
        score = logistic_score(feats, o.coef, o.bias)
        if device.get("virtual"):
            why = device.get("virtual_reason") or "the operating system reports it as virtual"
            return result(self.name, Verdict.FAIL, 0.0, InjectionReason.VIRTUAL_CAMERA, ev, hard_fail=True, why=why)
        dup = ev.dup_fraction
        if isinstance(dup, float) and math.isfinite(dup) and dup > o.max_dup_fraction:
            return result(
                self.name, Verdict.FAIL, min(score, 0.02), InjectionReason.DUPLICATED_FRAMES, ev, hard_fail=True, dup=dup
            )
        if score < o.hard_score:
            return result(self.name, Verdict.FAIL, score, InjectionReason.PLAYED_FILE, ev, hard_fail=True)
        if score >= 0.5:
            return result(self.name, Verdict.PASS, score, InjectionReason.LIVE_CAMERA, ev)
        return result(self.name, Verdict.FAIL, score, InjectionReason.SIGNS_OF_REPLAY, ev)


STAGE = STAGES.register(StageSpec("injection", InjectionStage, InjectionOptions, InjectionEvidence, order=50))
