"""Contact sheets: one small PNG per species showing frames under different screen colours."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.core.capture.frame import Frame
from app.core.simulate.params import SPECIES
from app.core.simulate.player import PlayerTiming
from app.core.simulate.session import run_session

log = logging.getLogger(__name__)

THUMB = (176, 132)


def _pick(frames: list[Frame], challenge_colours: list[dict[str, Any]], latency_ms: float) -> list[tuple[str, Frame]]:
    """The first frame (far), the last before the flashes, one in the middle of a wipe, and one per colour hold."""
    picks: list[tuple[str, Frame]] = [("start", frames[0])]
    shown = [(c["name"], c["shown_ns"], c["wipe_ms"], c["hold_ms"]) for c in challenge_colours if c.get("shown_ns")]
    if shown:
        before = [f for f in frames if f.t_ns < shown[0][1]]
        if before:
            picks.append(("fitted", before[-1]))
    wiping = [s for s in shown if s[2] > 0]
    if wiping:
        name, t, wipe, _ = wiping[0]
        want = t + int((wipe / 2 + latency_ms) * 1e6)
        picks.append((f"{name} wiping", min(frames, key=lambda f: abs(f.t_ns - want))))
    seen: set[str] = set()
    for name, t, wipe, hold in shown:
        if name in seen and len(shown) > 5:
            continue
        seen.add(name)
        # Middle of the hold, plus the display-to-camera latency.
        want = t + int((wipe + hold / 2 + latency_ms) * 1e6)
        best = min(frames, key=lambda f: abs(f.t_ns - want))
        picks.append((name, best))
    return picks[:8]


def contact_sheet(species: str, seed: int = 1, *, face: str | None = None, columns: int = 4) -> np.ndarray:
    """Render a short session of ``species`` and tile labelled thumbnails (BGR image)."""
    overrides = {"face": face} if face else {}
    result, frames = run_session(species, seed, overrides=overrides, keep_frames=True, timing=PlayerTiming(tail_s=0.3))
    latency = float(result.labels["params"]["latency_ms"])
    picks = _pick(frames, result.challenge.get("colours", []), latency)
    tiles = []
    for name, frame in picks:
        thumb = cv2.resize(frame.image, THUMB, interpolation=cv2.INTER_AREA)
        cv2.rectangle(thumb, (0, 0), (THUMB[0], 16), (0, 0, 0), -1)
        cv2.putText(thumb, name, (4, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(thumb)
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    sheet = np.vstack(rows)
    title = np.zeros((20, sheet.shape[1], 3), np.uint8)
    cv2.putText(title, f"sim:{species}  seed={seed}", (6, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (230, 230, 230), 1, cv2.LINE_AA)
    return np.vstack([title, sheet])


def write_contact_sheets(out_dir: Path, *, species: list[str] | None = None, seed: int = 1, face: str | None = None) -> list[Path]:
    """One ``contact-<species>.png`` per species in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for sp in species or list(SPECIES):
        sheet = contact_sheet(sp, seed, face=face)
        path = out_dir / f"contact-{sp}.png"
        cv2.imwrite(str(path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        log.info("wrote %s (%d KB)", path, path.stat().st_size // 1024)
        paths.append(path)
    return paths
