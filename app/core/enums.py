"""The small vocabularies shared across layers: verdicts, decisions, statuses and species.

Each is a :class:`~enum.StrEnum`, so a member *is* its string: it compares equal to the bare string, is stored
in the database and written to JSON exactly as before, and stored data read back as plain strings still
compares equal to the members. Code uses the members; nothing needs converting at the edges.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """A scoring stage's verdict. ``ABSTAIN`` (the stage could not judge) never counts as a pass."""

    PASS = "pass"
    FAIL = "fail"
    ABSTAIN = "abstain"


class Decision(StrEnum):
    """A session's decision."""

    PASS = "pass"
    FAIL = "fail"


class Status(StrEnum):
    """A session's status, in lifecycle order.

    A scored result is ``SUCCEEDED`` (a decision was made) or ``FAILED`` (no response: the check could not be
    made, e.g. no face); the other statuses belong to the stored session's lifecycle.
    """

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"


class Species(StrEnum):
    """What sat in front of the camera in a labelled (simulated) session: a live person or an attack."""

    LIVE = "live"
    LIVE_HARD = "live-hard"
    PRINT = "print"
    CURVED_PRINT = "curved-print"
    SCREEN_REPLAY = "screen-replay"
    INJECTION = "injection"
    INJECTION_FORGED_LIGHT = "injection-forged-light"
    MASK = "mask"


#: Species of genuine (bona fide) sessions; every other species is an attack.
GENUINE_SPECIES: tuple[Species, ...] = (Species.LIVE, Species.LIVE_HARD)
#: Attack species whose acceptance the targets tolerate (3D masks pass geometry by construction; reported honestly).
TOLERATED_SPECIES: tuple[Species, ...] = (Species.MASK,)
