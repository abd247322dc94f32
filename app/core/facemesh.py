"""Named MediaPipe Face Mesh landmark indices (478-point model) and the one inter-ocular distance.

A leaf module (numpy only) so that every layer can name a landmark: the challenge's face box, the landmark
stage, the scoring features and stages, the simulator and the GUI's plots. ``app.core.landmarks`` re-exports
these names. "Right" and "left" are the subject's own (the right eye appears on the image's left).
"""

from __future__ import annotations

import numpy as np

# -- single points ----------------------------------------------------------------------------------------
NOSE_TIP = 1
UNDER_NOSE_TIP = 2
NOSE_RIDGE = 4
NOSE_BRIDGE = 6
BETWEEN_EYES = 168
UNDER_NOSE = 164
FOREHEAD = 151
RIGHT_EYE_OUTER = 33
RIGHT_EYE_INNER = 133
LEFT_EYE_INNER = 362
LEFT_EYE_OUTER = 263
MOUTH_RIGHT = 61
MOUTH_LEFT = 291
UPPER_LIP = 13
LOWER_LIP = 14
LIP_BOTTOM = 17
CHIN = 152
RIGHT_CHEEK = 205
LEFT_CHEEK = 425
RIGHT_FACE_EDGE = 234
LEFT_FACE_EDGE = 454

# -- groups -----------------------------------------------------------------------------------------------
#: Subject's right eye: outer, inner corner.
RIGHT_EYE = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER)
#: Subject's left eye: inner, outer corner.
LEFT_EYE = (LEFT_EYE_INNER, LEFT_EYE_OUTER)
#: The four eye corners.
EYE_CORNERS = RIGHT_EYE + LEFT_EYE
#: Lips (upper, lower) and mouth corners.
MOUTH = (UPPER_LIP, LOWER_LIP, MOUTH_RIGHT, MOUTH_LEFT)
MOUTH_CORNERS = (MOUTH_RIGHT, MOUTH_LEFT)
#: Brows, right then left.
BROWS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) eye centres, each the mean of the eye's two corners; ``points`` is (..., 478, 2)."""
    pts = np.asarray(points)
    return pts[..., list(RIGHT_EYE), :].mean(axis=-2), pts[..., list(LEFT_EYE), :].mean(axis=-2)


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the eye centres in the points' units (pixels), of one face's (478, 2) landmarks."""
    right, left = eye_centres(points)
    return float(np.linalg.norm(left - right))
