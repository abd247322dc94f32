"""Fleet settings (``<config>/fleet.json``) and fleet secrets (environment, keyring or key file).

Only non-secret values live in ``fleet.json``: branch and device names, the
bucket and its endpoint, TLS file paths, head office's *public* key. The
database DSN (with its password) and the bucket's access keys come from the
environment, the OS keyring, or an owner-only file beside the store's keys
(``livegate fleet secret set NAME`` writes them) - never from a settings file,
and they are never logged. Every field can be overridden with
``LIVEGATE_FLEET_<FIELD>`` (upper case).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.errors import ConfigError
from app.core.store.files import atomic_writer

log = logging.getLogger(__name__)

FILE_NAME = "fleet.json"
NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Secrets Livegate knows: name -> environment variable consulted first.
SECRETS = {
    "dsn": "LIVEGATE_FLEET_DSN",
    "s3-access-key": "LIVEGATE_FLEET_S3_ACCESS_KEY",
    "s3-secret-key": "LIVEGATE_FLEET_S3_SECRET_KEY",
}
SSL_MODES = ("", "disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass
class FleetConfig:
    """Where this kiosk delivers its results, and how.

    Attributes
    ----------
    branch, device_id:
        This kiosk's names at the centre (letters, digits, ``._-``; set by ``fleet enroll``).
    sslmode, sslrootcert, sslcert, sslkey:
        libpq TLS settings passed to every database connection (override the DSN's).
    bucket, s3_endpoint, s3_region, s3_addressing:
        The object store: bucket name, endpoint URL (empty = AWS), region, ``auto``/``path``/``virtual``.
    s3_ca_bundle:
        CA file for the object store's TLS (empty = system roots).
    s3_sse:
        Server-side encryption requested on upload on top of ours: ``""``, ``AES256`` or ``aws:kms``.
    head_office_key:
        Head office's X25519 public key (PEM text): images are encrypted for it.
    poll_s, max_backoff_s:
        Sender: seconds between looks at an empty outbox; longest wait after failures.
    """

    branch: str = ""
    device_id: str = ""
    sslmode: str = ""
    sslrootcert: str = ""
    sslcert: str = ""
    sslkey: str = ""
    bucket: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_addressing: str = "auto"
    s3_ca_bundle: str = ""
    s3_sse: str = ""
    head_office_key: str = ""
    poll_s: float = 2.0
    max_backoff_s: float = 300.0

    def validate(self) -> None:
        """Raise ``ConfigError`` naming the first bad value."""
        for name in ("branch", "device_id"):
            value = getattr(self, name)
            if value and not NAME_RE.match(value):
                raise ConfigError(f"fleet {name} {value!r} may use only letters, digits, '.', '_' and '-' (1-64 characters)")
        if self.sslmode not in SSL_MODES:
            raise ConfigError(f"fleet sslmode must be one of {', '.join(m for m in SSL_MODES if m)}; got {self.sslmode!r}")
        if self.s3_addressing not in ("auto", "path", "virtual"):
            raise ConfigError(f"fleet s3_addressing must be auto, path or virtual; got {self.s3_addressing!r}")
        if self.s3_sse not in ("", "AES256", "aws:kms"):
            raise ConfigError(f"fleet s3_sse must be empty, AES256 or aws:kms; got {self.s3_sse!r}")
        if not 0.05 <= self.poll_s <= 3600 or not 1 <= self.max_backoff_s <= 86400:
            raise ConfigError("fleet poll_s must be 0.05-3600 and max_backoff_s 1-86400 seconds")

    @property
    def enrolled(self) -> bool:
        return bool(self.branch and self.device_id)

    def tls_kwargs(self) -> dict[str, str]:
        """libpq TLS parameters that are set."""
        return {k: getattr(self, k) for k in ("sslmode", "sslrootcert", "sslcert", "sslkey") if getattr(self, k)}


def config_path() -> Path:
    """``fleet.json`` in the settings folder."""
    return paths.config_dir() / FILE_NAME


def load_config(path: Path | None = None, *, environ: dict[str, str] | None = None) -> FleetConfig:
    """Read ``fleet.json`` (missing = defaults) and apply ``LIVEGATE_FLEET_*`` overrides.

    Raises
    ------
    ConfigError
        The file is not a JSON object, has an unknown key or a bad value.
    """
    env = os.environ if environ is None else environ
    target = path or config_path()
    data: dict[str, Any] = {}
    if target.exists():
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{target} is not readable JSON ({exc}); fix or delete it") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{target} must hold a JSON object")
    known = {f.name: f for f in fields(FleetConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{target} has unknown setting(s) {', '.join(unknown)}; secrets such as the DSN belong in the environment or keyring")
    for name in known:
        raw = env.get(f"LIVEGATE_FLEET_{name.upper()}")
        if raw is not None:
            data[name] = raw
    try:
        values = {name: (float(v) if known[name].type in ("float", float) else str(v)) for name, v in data.items()}
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"a fleet setting has the wrong type: {exc}") from exc
    config = FleetConfig(**values)
    config.validate()
    return config


def save_config(config: FleetConfig, path: Path | None = None) -> Path:
    """Write ``fleet.json`` atomically (owner-only)."""
    config.validate()
    target = path or config_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(target, mode=0o600) as fh:
        fh.write(json.dumps(asdict(config), indent=2, sort_keys=True).encode("utf-8") + b"\n")
    return target


# --- secrets ----------------------------------------------------------------------------


def _secret_file(name: str) -> Path:
    from app.core.store.crypto import default_key_dir

    return default_key_dir(paths.data_dir()) / f"fleet-{name}.secret"


def _keyring() -> Any:
    try:
        import keyring  # type: ignore[import-not-found]
    except ImportError:
        return None
    return keyring


def get_secret(name: str, *, environ: dict[str, str] | None = None) -> str | None:
    """A fleet secret: ``LIVEGATE_FLEET_*`` variable, else the OS keyring, else the owner-only file.

    Raises
    ------
    ConfigError
        For a name Livegate does not know, or an unreadable secret file.
    """
    if name not in SECRETS:
        raise ConfigError(f"unknown fleet secret {name!r}; known: {', '.join(SECRETS)}")
    env = os.environ if environ is None else environ
    value = env.get(SECRETS[name])
    if value:
        return value
    ring = _keyring()
    if ring is not None:
        try:
            stored = ring.get_password("livegate", f"fleet-{name}")
        except Exception as exc:  # keyring backends raise their own types; the file may still hold it
            log.debug("keyring lookup of fleet-%s failed: %s", name, type(exc).__name__)
            stored = None
        if stored:
            return str(stored)
    path = _secret_file(name)
    if path.exists():
        try:
            return base64.b64decode(path.read_bytes().strip(), validate=True).decode("utf-8")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the fleet secret file {path} is unreadable ({type(exc).__name__}); set it again") from exc
    return None


def set_secret(name: str, value: str, *, use_keyring: bool = True) -> str:
    """Keep a fleet secret in the OS keyring when it works, else in an owner-only file. Returns where."""
    if name not in SECRETS:
        raise ConfigError(f"unknown fleet secret {name!r}; known: {', '.join(SECRETS)}")
    if not value:
        raise ConfigError("the secret is empty")
    ring = _keyring() if use_keyring else None
    if ring is not None:
        try:
            ring.set_password("livegate", f"fleet-{name}", value)
            if ring.get_password("livegate", f"fleet-{name}") == value:
                return "the OS keyring"
        except Exception as exc:  # fall back to the file, like the store's keys do
            log.info("keyring cannot keep fleet-%s (%s); using a key file", name, type(exc).__name__)
    path = _secret_file(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_writer(path, mode=0o600) as fh:
        fh.write(base64.b64encode(value.encode("utf-8")) + b"\n")
    return str(path)


def redact_dsn(dsn: str) -> str:
    """A DSN with no password (for messages): host, port, database and user only."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN: say nothing about it rather than leak it
        return "<unparsable DSN>"
    shown = {k: parts[k] for k in ("host", "port", "dbname", "user") if parts.get(k)}
    return " ".join(f"{k}={v}" for k, v in shown.items()) or "<default libpq connection>"
