"""The one home of the defaults and limits that several layers share.

Settings, stored sessions, the scoring contract and configuration, the API and the command line all read these
names instead of repeating the numbers. The *calibrated* threshold is the scoring configuration's
(``app.core.scoring.config.calibrated_threshold``); calibration maps its operating point onto
:data:`THRESHOLD`, and a test keeps the two equal, so a fresh installation's setting and the configuration agree.
"""

from __future__ import annotations

#: Decision threshold on the 0-100 confidence (the operating point calibration maps onto).
THRESHOLD = 60.0
#: Lowest and highest threshold accepted anywhere (settings, API, ``--threshold``).
THRESHOLD_MIN, THRESHOLD_MAX = 0.0, 100.0
#: Audit images kept with a result by default, and the most that can be kept.
AUDIT_IMAGES = 4
MAX_AUDIT_IMAGES = 4


def valid_threshold(value: float) -> bool:
    """Whether ``value`` is an acceptable decision threshold."""
    return THRESHOLD_MIN <= value <= THRESHOLD_MAX


def valid_audit_images(value: int) -> bool:
    """Whether ``value`` is an acceptable number of audit images."""
    return 0 <= value <= MAX_AUDIT_IMAGES
