"""One versioned settings model.

Stored as JSON under the user's config folder; every field can be overridden
with a ``LIVEGATE_<FIELD>`` environment variable (upper-case field name). A bad
settings file, or a bad value in it (wrong type, out of range, NaN, a
400-digit number, nesting that breaks parsers), is reported through
``Settings.problems`` and the logs and replaced by the default: it never stops
the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.core import paths, strictjson
from app.core.defaults import AUDIT_IMAGES, THRESHOLD, valid_audit_images, valid_threshold

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
    threshold: float = THRESHOLD
    #: Number of audit images kept with a result (0-4).
    audit_images: int = AUDIT_IMAGES
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
    #: The one camera checks may run with (``driver|bus|name``, :attr:`CameraDevice.fingerprint`; ``livegate devices
    #: --pin``); empty = any real camera. Any other camera, and any non-camera source, is refused.
    pinned_camera: str = ""
    #: UI language code (``en``, ``es``); empty = system language.
    language: str = ""
    #: High-contrast colours (also on when the system asks for high contrast).
    high_contrast: bool = False
    #: Text size in percent of the system's (100-200).
    text_size: int = 100
    #: Show the staff view on a second screen when one is connected (else behind the PIN on the result screen).
    staff_screen: bool = False
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
            "threshold": valid_threshold(self.threshold),
            "audit_images": valid_audit_images(self.audit_images),
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
            "pinned_camera": self.pinned_camera == "" or (len(self.pinned_camera) <= 512 and self.pinned_camera.count("|") == 2
                                                          and not any(c in self.pinned_camera for c in "\r\n\0")),
        }
        for name, ok in checks.items():
            if not ok:
                self.problems.append(f"setting {name}={_short(getattr(self, name))} is out of range; using {getattr(defaults, name)!r}")
                setattr(self, name, getattr(defaults, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the persistent fields."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "problems"}


def settings_path() -> Path:
    """Where the settings file lives."""
    return paths.config_dir() / "settings.json"


#: Largest settings file read (ours is under 1 kB); a bigger one is reported and ignored unread.
MAX_FILE_BYTES = 256 * 1024
#: Longest text setting (and environment value) accepted.
MAX_TEXT = 4096
#: Largest magnitude accepted for a number setting before its range is checked (keeps float() exact and finite).
MAX_MAGNITUDE = 10**12
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,13}")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]{1,13}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,2})?")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _coerce(name: str, kind: type, raw: Any) -> Any:
    """Convert a settings-file (JSON) value to the field's type, exactly, or raise ValueError.

    JSON values must already have the field's type (``"70"`` is not a number, ``2.5`` is not a count).
    """
    if isinstance(raw, strictjson.Invalid):
        raise ValueError(f"{name}: {raw.reason}")
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"{name} must be true or false, got {_short(raw)}")
    if kind is int:
        if type(raw) is not int or abs(raw) > MAX_MAGNITUDE:
            raise ValueError(f"{name} must be a whole number, got {_short(raw)}")
        return raw
    if kind is float:
        if type(raw) not in (int, float) or abs(raw) > MAX_MAGNITUDE or not math.isfinite(raw):
            raise ValueError(f"{name} must be a number, got {_short(raw)}")
        return float(raw)
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise ValueError(f"{name} must be text of at most {MAX_TEXT} characters, got {_short(raw)}")
    return raw


def _coerce_env(name: str, kind: type, raw: str) -> Any:
    """Convert a ``LIVEGATE_*`` string to the field's type, or raise ValueError."""
    if len(raw) > MAX_TEXT:
        raise ValueError(f"{name} is {len(raw)} characters long; at most {MAX_TEXT}")
    text = raw.strip()
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be true or false, got {_short(raw)}")
    if kind is int:
        if not _INT_TEXT.fullmatch(text) or abs(int(text)) > MAX_MAGNITUDE:
            raise ValueError(f"{name} must be a whole number, got {_short(raw)}")
        return int(text)
    if kind is float:
        # A plain decimal only: "nan", "inf", "1e400" and 400 digits are refused before float() sees them.
        if not _FLOAT_TEXT.fullmatch(text) or not math.isfinite(float(text)) or abs(float(text)) > MAX_MAGNITUDE:
            raise ValueError(f"{name} must be a number, got {_short(raw)}")
        return float(text)
    return raw


_TYPES: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _field_types() -> dict[str, type]:
    return {f.name: _TYPES[str(f.type)] for f in fields(Settings) if f.name not in ("problems",)}


def _migrate(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Bring an older settings dict to the current schema (none older than v1 exists yet)."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int:
        problems.append(f"settings schema_version {_short(version)} is not a version number; read as version {SCHEMA_VERSION}")
    elif version > SCHEMA_VERSION:
        problems.append(f"settings schema_version {version} is newer than this app understands; unknown keys ignored")
    data["schema_version"] = SCHEMA_VERSION
    return data


def _read_file(path: Path, problems: list[str]) -> dict[str, Any]:
    """The settings file's object, or ``{}`` with a problem recorded: never raises."""
    try:
        if not path.exists():
            return {}
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
        loaded = strictjson.loads(strictjson.decode_utf8(raw), lenient=True)
        if not isinstance(loaded, dict):
            raise ValueError("top level is not an object")
        return _migrate(loaded, problems)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(f"settings file {path} is unreadable ({reason}); using defaults")
        return {}


def load_settings(path: Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Load settings from ``path`` (default: the user's settings file) and the environment.

    Never raises for bad content, whatever it is: the file is read strictly (UTF-8, strict JSON
    with a nesting limit, at most ``MAX_FILE_BYTES``), every value must have its field's exact
    type and range, and each problem is collected in ``Settings.problems`` (and logged) while
    the default is used.
    """
    path = path or settings_path()
    env = os.environ if environ is None else environ
    problems: list[str] = []
    try:
        settings = _load(path, env, problems)
    except Exception as exc:  # noqa: BLE001 - a last guard: settings must never stop the app
        settings = Settings()
        settings.problems.extend([*problems, f"settings could not be applied ({type(exc).__name__}); using defaults"])
    for problem in settings.problems:
        log.warning("settings: %s", problem)
    return settings


def _load(path: Path, env: Any, problems: list[str]) -> Settings:
    data = _read_file(path, problems)
    types = _field_types()
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in types:
            problems.append(f"unknown setting {_short(key)} ignored")
            continue
        try:
            values[key] = _coerce(key, types[key], raw)
        except ValueError as exc:
            problems.append(f"bad setting in {path.name}: {exc}; using the default")
    for key, kind in types.items():
        env_name = f"LIVEGATE_{key.upper()}"
        if env_name in env and key != "schema_version":
            try:
                values[key] = _coerce_env(key, kind, str(env[env_name]))
            except ValueError as exc:
                problems.append(f"bad environment value {env_name}: {exc}; ignored")
    values["schema_version"] = SCHEMA_VERSION
    settings = Settings(**values)
    settings.problems.extend(problems)
    settings.validate()
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically (temp file + rename). Returns the path written."""
    path = path or settings_path()
    paths.make_private_dir(path.parent)
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
