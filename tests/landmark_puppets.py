"""Hand-placed landmarks for tests that script a participant without the landmark model (no Qt here)."""

from __future__ import annotations

import numpy as np

from app.core.challenge import LEFT_EYE, MOUTH, RIGHT_EYE


def face_points(cx: float, cy: float, width: float) -> np.ndarray:
    """478 landmarks whose reference face box is ``width`` wide, centred on (cx, cy)."""
    pd = width / 1.81
    fh = 0.9 * pd
    eye_y = cy - fh / 2
    pts = np.tile(np.array([[cx, cy]], np.float32), (478, 1))
    pts[:10] = [[cx - width / 2, cy - 0.6 * width], [cx + width / 2, cy + 0.6 * width]] * 5
    pts[list(RIGHT_EYE)] = [cx - pd / 2, eye_y]
    pts[list(LEFT_EYE)] = [cx + pd / 2, eye_y]
    pts[list(MOUTH)] = [cx, eye_y + fh]
    return pts
