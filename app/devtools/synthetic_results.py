"""Synthetic scoring results for tests and the soak runner (no camera, no models).

Built by hand from the scoring contract dataclasses, so store and API work can
be exercised without the scoring pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core import defaults
from app.core.challenge import Box, Challenge
from app.core.scoring.contract import ABSTAIN, FAIL, PASS, CheckResult, ImageOut, LivenessResult
from app.core.scoring.evidence import UNSET, Evidence

if TYPE_CHECKING:
    from app.core.sessions.clock import Clock
    from app.core.sessions.service import SessionService
    from app.core.settings import Settings


@dataclass
class SyntheticEvidence(Evidence):
    """Hand-made evidence: a few numbers of the kinds real stages report (a numpy scalar, a NaN), so that
    storing and signing see what they must cope with."""

    sharpness: float = UNSET
    frames: int = UNSET
    lag_frames: int = UNSET
    r: list[Any] = UNSET
    residual: float = UNSET


def synthetic_image(seed: int, *, width: int = 320, height: int = 240) -> np.ndarray:
    """A BGR uint8 picture with a face-like ellipse and sensor-like noise."""
    rng = np.random.default_rng(seed)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = rng.integers(40, 90, size=3, dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    inside = ((xx - width / 2) / (width * 0.22)) ** 2 + ((yy - height / 2) / (height * 0.36)) ** 2 <= 1.0
    img[inside] = (120, 150, 200)
    noise = rng.integers(-12, 13, size=img.shape, dtype=np.int16)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def synthetic_result(
    session_id: str,
    *,
    decision: str = "pass",
    confidence: float | None = None,
    audit: int = 4,
    seed: int = 0,
    width: int = 320,
    height: int = 240,
    status: str = "SUCCEEDED",
) -> LivenessResult:
    """A plausible ``LivenessResult`` for ``session_id`` with a reference and ``audit`` audit images."""
    conf = confidence if confidence is not None else (87.5 if decision == "pass" else 12.25)
    box = Box(width * 0.3, height * 0.15, width * 0.4, height * 0.7)
    images = [ImageOut(synthetic_image(seed * 10 + i, width=width, height=height), box, 10 + i, 1_000_000 * (i + 1)) for i in range(audit + 1)]
    checks = [
        CheckResult("quality", PASS, 0.93, "The face was sharp and well lit.", SyntheticEvidence(sharpness=0.81, frames=92)),
        CheckResult("light", PASS if decision == "pass" else FAIL, conf / 100, "The face reflected the screen's colours.", SyntheticEvidence(lag_frames=2, r=[0.1, 0.2, np.float32(0.3)])),
        CheckResult("geometry", ABSTAIN, None, "Too little motion to judge depth.", SyntheticEvidence(residual=float("nan"))),
    ]
    return LivenessResult(
        session_id=session_id,
        status=status,
        confidence=conf,
        decision=decision,
        threshold=defaults.THRESHOLD,
        checks=checks,
        reasons=["The face reflected the screen's colours."] if decision == "pass" else ["The reflection did not follow the colours."],
        challenge=Challenge.new(width, height, seed=seed),
        reference=images[0],
        audit=images[1:],
        timings_ms={"total": 812.5},
        versions={"minifasnet": "v2-2020"},
        frame_size=(width, height),
    )


def make_service(
    root: Path,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
    kiosk: bool = True,
    owner: bool = True,
) -> SessionService:
    """A ``SessionService`` over a fresh store in ``root`` with file-kept keys (tests, soak).

    With ``kiosk`` a do-nothing kiosk listener is subscribed so sessions can be started.
    """
    from app.core.sessions.service import SessionService
    from app.core.settings import Settings
    from app.core.store.crypto import KeyStore
    from app.core.store.db import SessionStore

    store = SessionStore(root / "sessions", keys=KeyStore(root / "keys", backend="file"), clock=clock, owner=owner, data_dir=root)
    service = SessionService(store, settings=settings or Settings(), clock=clock)
    if kiosk:
        service.subscribe(lambda event: None, kiosk=True)
    return service
