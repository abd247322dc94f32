"""One versioned settings model.

Stored as JSON under the user's config folder; every field can be overridden
with a ``LIVEGATE_<FIELD>`` environment variable (upper-case field name). A bad
settings file, or a bad value in it, is reported through ``Settings.problems``
and the logs and replaced by the default: it never stops the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.core import paths

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

CHALLENGE_TYPES = ("FaceMovementAndLightChallenge", "FaceMovementChallenge")
MODES = ("kiosk", "operator", "demo")


@dataclass
class Settings:
    """Every user-adjustable setting, with its default.

    Attributes are validated by ``validate``; out-of-range values fall back to
    the default with a problem recorded.
    """

    schema_version: int = SCHEMA_VERSION
    #: Source spec of the camera (``camera:0``, ``camera:<name>``, ``sim:live``); empty = first real camera.
    camera: str = ""
    #: Decision threshold on the 0-100 confidence.
    threshold: float = 60.0
    #: Number of audit images kept with a result (0-4).
    audit_images: int = 4
    #: ``FaceMovementAndLightChallenge`` (default) or ``FaceMovementChallenge`` (no flashing).
    challenge: str = CHALLENGE_TYPES[0]
    #: Flash brightness attenuation, 0 (full) to 0.8 (dimmest allowed).
    flash_attenuation: float = 0.0
    #: Seconds the user has to fit the face into the oval.
    face_fit_timeout_s: float = 7.0
    #: Keep a recording of every session.
    keep_recordings: bool = False
    #: ``kiosk`` (end users), ``operator`` (staff) or ``demo`` (booths; confidence and plots shown).
    mode: str = "operator"
    #: Not used by the GUI any more: the confidence is shown only in the staff view (kept so old files load).
    show_confidence: bool = False
    #: Kiosk: seconds after a result before returning to the start screen.
    kiosk_reset_s: float = 10.0
    #: Kiosk: PBKDF2 hash of the operator PIN (``salt$hash`` hex); empty = no PIN set.
    kiosk_pin_hash: str = ""
    #: Accept cameras that look virtual (for QA only).
    allow_virtual_cameras: bool = False
    #: UI language code (``en``, ``es``); empty = system language.
    language: str = ""
    #: High-contrast colours (also on when the system asks for high contrast).
    high_contrast: bool = False
    #: Text size in percent of the system's (100-200).
    text_size: int = 100
    #: Seconds a created session stays valid before it must be started.
    session_expiry_s: float = 180.0
    #: Lock-out after repeated failures.
    lockout_enabled: bool = True
    lockout_failures: int = 5
    lockout_window_s: float = 180.0
    lockout_duration_s: float = 1800.0
    #: Days a finished session's files are kept.
    retention_days: int = 30
    #: Local integration API port.
    api_port: int = 8765
    #: Problems found while loading (not saved).
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    def validate(self) -> None:
        """Replace out-of-range values by their defaults, recording each problem."""
        defaults = Settings()
        checks: dict[str, bool] = {
            "threshold": 0.0 <= self.threshold <= 100.0,
            "audit_images": 0 <= self.audit_images <= 4,
            "challenge": self.challenge in CHALLENGE_TYPES,
            "flash_attenuation": 0.0 <= self.flash_attenuation <= 0.8,
            "face_fit_timeout_s": 1.0 <= self.face_fit_timeout_s <= 30.0,
            "mode": self.mode in MODES,
            "kiosk_reset_s": 2.0 <= self.kiosk_reset_s <= 600.0,
            "session_expiry_s": 10.0 <= self.session_expiry_s <= 86400.0,
            "lockout_failures": 1 <= self.lockout_failures <= 100,
            "lockout_window_s": 1.0 <= self.lockout_window_s <= 86400.0,
            "lockout_duration_s": 1.0 <= self.lockout_duration_s <= 7 * 86400.0,
            "retention_days": 0 <= self.retention_days <= 3650,
            "text_size": 100 <= self.text_size <= 200,
            "api_port": 1 <= self.api_port <= 65535,
        }
        for name, ok in checks.items():
            if not ok:
                self.problems.append(f"setting {name}={getattr(self, name)!r} is out of range; using {getattr(defaults, name)!r}")
                setattr(self, name, getattr(defaults, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the persistent fields."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "problems"}


def settings_path() -> Path:
    """Where the settings file lives."""
    return paths.config_dir() / "settings.json"


def _coerce(name: str, kind: type, raw: Any) -> Any:
    """Convert a JSON or environment value to the field's type, or raise ValueError."""
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be true or false")
    if kind is int:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(f"{name} must be a whole number")
        return int(raw)
    if kind is float:
        if isinstance(raw, bool):
            raise ValueError(f"{name} must be a number")
        return float(raw)
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be text")
    return raw


_TYPES: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _field_types() -> dict[str, type]:
    return {f.name: _TYPES[str(f.type)] for f in fields(Settings) if f.name not in ("problems",)}


def _migrate(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Bring an older settings dict to the current schema (none older than v1 exists yet)."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        problems.append(f"settings schema_version {version!r} is newer than this app understands; unknown keys ignored")
    data["schema_version"] = SCHEMA_VERSION
    return data


def load_settings(path: Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Load settings from ``path`` (default: the user's settings file) and the environment.

    Never raises for bad content: problems are collected in ``Settings.problems``.
    """
    path = path or settings_path()
    env = os.environ if environ is None else environ
    problems: list[str] = []
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError("top level is not an object")
            data = _migrate(loaded, problems)
        except (OSError, ValueError) as exc:
            problems.append(f"settings file {path} is unreadable ({exc}); using defaults")
    types = _field_types()
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in types:
            problems.append(f"unknown setting {key!r} ignored")
            continue
        try:
            values[key] = _coerce(key, types[key], raw)
        except (TypeError, ValueError) as exc:
            problems.append(f"bad setting in {path.name}: {exc}; using the default")
    for key, kind in types.items():
        env_name = f"LIVEGATE_{key.upper()}"
        if env_name in env and key != "schema_version":
            try:
                values[key] = _coerce(key, kind, env[env_name])
            except (TypeError, ValueError) as exc:
                problems.append(f"bad environment value {env_name}: {exc}; ignored")
    values["schema_version"] = SCHEMA_VERSION
    settings = Settings(**values)
    settings.problems.extend(problems)
    settings.validate()
    for problem in settings.problems:
        log.warning("settings: %s", problem)
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically (temp file + rename). Returns the path written."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(settings.to_dict(), indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace(settings: Settings, **changes: Any) -> Settings:
    """A validated copy of ``settings`` with ``changes`` applied."""
    new = dataclasses.replace(settings, **changes)
    new.problems = []
    new.validate()
    return new
