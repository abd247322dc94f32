"""Session records: status, per-session settings and the immutable snapshot handed out."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from app.core import defaults
from app.core.enums import Status
from app.core.settings import CHALLENGE_TYPES, Settings

CREATED, IN_PROGRESS, SUCCEEDED, FAILED, EXPIRED, ERROR = (
    Status.CREATED,
    Status.IN_PROGRESS,
    Status.SUCCEEDED,
    Status.FAILED,
    Status.EXPIRED,
    Status.ERROR,
)
#: Every status, in lifecycle order.
STATUSES = tuple(Status)
#: Statuses after which nothing can happen to a session but deletion.
FINISHED = frozenset({SUCCEEDED, FAILED, EXPIRED, ERROR})

#: Session ids are ``secrets.token_urlsafe(24)`` (32 characters); accept a sane range when parsing.
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Longest operator or customer reference accepted.
MAX_REF_LEN = 200
_REF_RE = re.compile(r"[^\x00-\x1f\x7f]*")  # fullmatch: "$" would let a trailing newline through


def new_session_id() -> str:
    """A fresh unguessable id: ``secrets.token_urlsafe(24)`` that starts with a letter or digit.

    An id starting with ``-`` would be taken for an option by command lines
    (``livegate sessions show -abc...``), so such draws are discarded (the id keeps
    ~190 bits of randomness).
    """
    while True:
        candidate = secrets.token_urlsafe(24)
        if candidate[0].isalnum():
            return candidate


def is_session_id(text: object) -> bool:
    """Whether ``text`` has the shape of a session id (says nothing about existence)."""
    return isinstance(text, str) and SESSION_ID_RE.match(text) is not None


def check_reference(name: str, value: object) -> str:
    """Validate an operator/customer reference; returns it or raises ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if len(value) > MAX_REF_LEN:
        raise ValueError(f"{name} is {len(value)} characters long; at most {MAX_REF_LEN} are allowed")
    if not _REF_RE.fullmatch(value):
        raise ValueError(f"{name} must not contain control characters")
    return value


@dataclass(frozen=True)
class SessionSettings:
    """What one session asks for (defaults come from the app settings).

    Attributes
    ----------
    challenge:
        ``FaceMovementAndLightChallenge`` or ``FaceMovementChallenge``.
    audit_images:
        Number of audit images kept with the result, 0-4.
    threshold:
        Decision threshold on the 0-100 confidence.
    keep_recording:
        Store an (encrypted) recording of the check with the result.
    operator_ref, customer_ref:
        Free references for the operator and the integrator (no control characters, at most 200 characters).
    """

    challenge: str = CHALLENGE_TYPES[0]
    audit_images: int = defaults.AUDIT_IMAGES
    threshold: float = defaults.THRESHOLD
    keep_recording: bool = False
    operator_ref: str = ""
    customer_ref: str = ""

    def __post_init__(self) -> None:
        if self.challenge not in CHALLENGE_TYPES:
            raise ValueError(f"challenge must be one of {', '.join(CHALLENGE_TYPES)}; got {self.challenge!r}")
        if isinstance(self.audit_images, bool) or not isinstance(self.audit_images, int) or not defaults.valid_audit_images(self.audit_images):
            raise ValueError(f"audit_images must be a whole number from 0 to 4; got {self.audit_images!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)):
            raise ValueError(f"threshold must be a number from 0 to 100; got {self.threshold!r}")
        if not defaults.valid_threshold(self.threshold):
            raise ValueError(f"threshold must be from 0 to 100; got {self.threshold!r}")
        object.__setattr__(self, "threshold", float(self.threshold))
        if not isinstance(self.keep_recording, bool):
            raise ValueError(f"keep_recording must be true or false; got {self.keep_recording!r}")
        check_reference("operator_ref", self.operator_ref)
        check_reference("customer_ref", self.customer_ref)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "SessionSettings":
        """Defaults taken from the app settings, with ``overrides`` applied (validated)."""
        base: dict[str, Any] = {
            "challenge": settings.challenge,
            "audit_images": settings.audit_images,
            "threshold": settings.threshold,
            "keep_recording": settings.keep_recordings,
        }
        base.update(overrides)
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (stored with the session)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SessionSettings":
        """Rebuild from ``to_dict`` output; unknown keys are ignored (newer records)."""
        known = {k: data[k] for k in ("challenge", "audit_images", "threshold", "keep_recording", "operator_ref", "customer_ref") if k in data}
        return cls(**known)


@dataclass(frozen=True)
class StoredFile:
    """One encrypted file of a session (reference image, audit image, recording)."""

    role: str  # "reference", "audit-0".."audit-3", "recording"
    name: str  # file name inside the session's folder
    size: int  # plaintext size in bytes
    sha256: str  # of the plaintext
    media_type: str  # "image/jpeg", "application/zip"


@dataclass(frozen=True)
class Session:
    """An immutable snapshot of one session record.

    Times are POSIX seconds (UTC); ``None`` when the step has not happened.
    ``result`` is the signed result document (see ``docs/api.md``) once the
    session is SUCCEEDED or FAILED with a scored result.
    """

    id: str
    status: str
    settings: SessionSettings
    created_at: float
    expires_at: float
    started_at: float | None = None
    finished_at: float | None = None
    reason: str = ""
    decision: str | None = None
    confidence: float | None = None
    versions: dict[str, str] = field(default_factory=dict)
    files: tuple[StoredFile, ...] = ()
    result: dict[str, Any] | None = None
    #: Whether the record's listed values (status, decision, confidence, times) match their tag (keyed from the signing key).
    #: ``False``: the record was altered outside Livegate; ``decision`` and ``confidence`` are then withheld.
    verified: bool = True

    @property
    def finished(self) -> bool:
        """True once nothing but deletion can happen to the session."""
        return self.status in FINISHED

    def file(self, role: str) -> StoredFile | None:
        """The stored file with this role, if any."""
        return next((f for f in self.files if f.role == role), None)

    def summary(self) -> dict[str, Any]:
        """Short JSON-able description (no biometric data, no result)."""
        from app.core.sessions.clock import iso_utc

        return {
            "SessionId": self.id,
            "Status": self.status,
            "Reason": self.reason or None,
            "Decision": self.decision,
            "Confidence": self.confidence,
            "CreatedAt": iso_utc(self.created_at),
            "ExpiresAt": iso_utc(self.expires_at),
            "StartedAt": iso_utc(self.started_at),
            "FinishedAt": iso_utc(self.finished_at),
            "CustomerReference": self.settings.customer_ref,
            "OperatorReference": self.settings.operator_ref,
            "Challenge": self.settings.challenge,
        }
