"""``livegate fleet ...``: enrol a kiosk, watch and push its outbox, and the head-office commands."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError, LivegateError
from app.core.fleet.config import FleetConfig, get_secret, load_config, save_config, set_secret

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3
PASSPHRASE_ENV = "LIVEGATE_FLEET_KEY_PASSPHRASE"


def _dsn() -> str:
    dsn = get_secret("dsn")
    if not dsn:
        raise ConfigError(
            "no central database is configured: set LIVEGATE_FLEET_DSN or run `livegate fleet secret set dsn` (reads stdin)"
        )
    return dsn


def _central(config: FleetConfig, *, application: str = "livegate") -> Any:
    from app.core.fleet.central import CentralStore

    return CentralStore(_dsn(), tls=config.tls_kwargs(), application=application)


def _open_store() -> Any:
    from app.core.store.db import open_store

    # Not the owner: a running kiosk keeps its store, and its sender may run meanwhile (deliveries are idempotent).
    return open_store(owner=False)


def _time(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    from app.core.sessions.clock import parse_time

    try:
        return _dt.datetime.fromtimestamp(parse_time(text), _dt.timezone.utc)
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# --- commands -----------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, config: FleetConfig) -> int:
    with _central(config, application="livegate-migrate") as central:
        applied = central.migrate()
        version = central.schema_version()
    print(f"central schema {version}; applied now: {', '.join(applied) if applied else 'nothing (up to date)'}")
    return EXIT_OK


def cmd_enroll(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet import envelope
    from app.core.fleet.outbox import Outbox

    config.branch, config.device_id = args.branch, args.device
    if args.head_office_key:
        try:
            pem = Path(args.head_office_key).read_text(encoding="ascii")
            envelope.load_public(pem)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"--head-office-key {args.head_office_key}: {exc}") from exc
        config.head_office_key = pem
    for name in ("bucket", "s3_endpoint"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    config.validate()
    if not config.head_office_key:
        raise ConfigError("head office's public key is needed once: --head-office-key FILE (from `livegate fleet keygen`)")
    store = _open_store()
    try:
        with _central(config, application="livegate-enroll") as central:
            central.require_schema()
            kid = central.enroll(branch=config.branch, device_id=config.device_id, public_key_pem=store.signer.public_pem())
        path = save_config(config)
        outbox = Outbox(store)
        outbox.enable()
        outbox.close()
    finally:
        store.close()
    print(f"enrolled device {config.device_id} of branch {config.branch} (signing key {kid}); settings in {path}")
    print("finished sessions are queued from now on; `livegate fleet push --all` also sends the earlier ones")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet.outbox import Outbox
    from app.core.sessions.clock import iso_utc

    store = _open_store()
    try:
        outbox = Outbox(store)
        status = outbox.status()
        outbox.close()
    finally:
        store.close()
    info = {
        "enrolled": config.enrolled,
        "branch": config.branch or None,
        "device": config.device_id or None,
        "queue_enabled": status.enabled,
        "pending": status.pending,
        "given_up": status.dead,
        "oldest_pending": iso_utc(status.oldest_pending_at),
        "last_success": status.last_success,
        "last_error": status.last_error,
    }
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key}: {'-' if value is None else value}")
    return EXIT_OK


def cmd_push(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet.outbox import Sender

    store = _open_store()
    try:
        sender = Sender(store, config, _dsn())
        try:
            if args.all:
                added = sender.outbox.enqueue_all()
                print(f"queued {added} earlier session(s)")
            sender.outbox.revive()
            delivered, error = sender.push_all()
            pending = sender.outbox.pending()
        finally:
            sender.stop()
    finally:
        store.close()
    print(f"delivered {delivered}; still queued {pending}")
    if error:
        print(f"livegate: delivery stopped: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet.central import CentralUnavailable

    while True:
        try:
            with _central(config, application="livegate-ingest") as central:
                central.require_schema()
                report = central.ingest_all()
            print(f"accepted {report.accepted}, duplicates {report.duplicates}, refused {report.refused}, purged {report.purged}",
                  flush=True)
        except CentralUnavailable as exc:
            if not args.follow:
                raise
            print(f"livegate: {exc}; trying again", file=sys.stderr, flush=True)
        if not args.follow:
            return EXIT_OK
        time.sleep(args.interval)


def cmd_sessions(args: argparse.Namespace, config: FleetConfig) -> int:
    with _central(config) as central:
        if args.action == "show":
            if not args.ids:
                raise ConfigError("fleet sessions show needs a session id")
            found = EXIT_OK
            for sid in args.ids:
                row = central.session(sid)
                if row is None:
                    print(f"livegate: no session {sid} at the centre", file=sys.stderr)
                    found = EXIT_BAD_INPUT
                    continue
                print(json.dumps(_jsonable(row), indent=2, sort_keys=True))
            return found
        status = args.status.upper() if args.status else None
        if args.limit is not None and not 1 <= args.limit <= 10000:
            raise ConfigError("--limit must be 1-10000")
        rows = central.sessions(branch=args.branch, since=_time(args.since), status=status, device_id=args.device,
                                limit=args.limit or 100)
    if args.json:
        print(json.dumps(_jsonable(rows), indent=2))
        return EXIT_OK
    for r in rows:
        conf = "-" if r["confidence"] is None else f"{r['confidence']:.1f}"
        purged = " purged" if r["purged_at"] else ""
        print(f"{r['session_id']}  {_jsonable(r['finished_at'])}  {r['branch']}/{r['device_id']}  {r['status']:<9} "
              f"{r['decision'] or '-':<4} {conf:>5}  signature verified ({r['key_id'][:19]}...)  images {r['objects']}{purged}")
    print(f"{len(rows)} session(s)")
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace, config: FleetConfig) -> int:
    with _central(config, application="livegate-revoke") as central:
        if not central.revoke(args.device):
            raise ConfigError(f"no device {args.device} is enrolled")
    print(f"device {args.device} revoked: its deliveries are refused from now on")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet import envelope

    out = Path(args.out)
    if out.exists():
        raise ConfigError(f"{out} exists; refusing to overwrite a private key")
    passphrase = os.environ.get(PASSPHRASE_ENV, "").encode() or None
    key = envelope.generate_private_key()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(envelope.private_pem(key, passphrase))
    public = out.with_suffix(".pub.pem")
    public.write_text(envelope.public_pem(key.public_key()), encoding="ascii")
    print(f"head-office private key: {out} ({'passphrase-protected' if passphrase else f'no passphrase: set {PASSPHRASE_ENV} to protect it'})")
    print(f"public key for the kiosks: {public} ({envelope.recipient_id_text(key.public_key())})")
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace, config: FleetConfig) -> int:
    from app.core.fleet import envelope
    from app.core.fleet.objects import ObjectStore
    from app.core.store.crypto import IntegrityError

    try:
        private = envelope.load_private(Path(args.key).read_bytes(), os.environ.get(PASSPHRASE_ENV, "").encode() or None)
    except OSError as exc:
        raise ConfigError(f"--key {args.key}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"--key {args.key}: {exc}") from exc
    with _central(config) as central:
        row = central.session(args.session)
    if row is None:
        raise ConfigError(f"no session {args.session} at the centre")
    if row["purged_at"] is not None:
        raise ConfigError(f"session {args.session} was purged; its images are gone")
    entry = next((o for o in row["objects"] if o.get("role") == args.role), None)
    if entry is None:
        roles = ", ".join(o.get("role", "?") for o in row["objects"]) or "none"
        raise ConfigError(f"session {args.session} has no {args.role} image (has: {roles})")
    blob = ObjectStore(config).get(entry["key"])
    try:
        plain = envelope.open_sealed_object(blob, private, object_key=entry["key"])
    except IntegrityError as exc:
        print(f"livegate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    import hashlib

    if hashlib.sha256(plain).hexdigest() != _signed_sha256(row["document"], args.role):
        print(f"livegate: the {args.role} image does not match the SHA-256 in the signed result", file=sys.stderr)
        return EXIT_FAILED
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(plain)
    print(f"{args.role} of {args.session}: {len(plain)} bytes ({entry.get('media_type', '?')}) -> {out}")
    return EXIT_OK


def _signed_sha256(document: Any, role: str) -> str | None:
    """The SHA-256 the signed result gives for an image or recording (checked at ingest with the signature)."""
    if not isinstance(document, dict):
        return None
    entry: Any = None
    if role == "reference":
        entry = document.get("ReferenceImage")
    elif role == "recording":
        entry = document.get("Recording")
    elif role.startswith("audit-") and role[6:].isdigit():
        audits = document.get("AuditImages") or []
        index = int(role[6:])
        entry = audits[index] if index < len(audits) else None
    return entry.get("Sha256") if isinstance(entry, dict) else None


def cmd_secret(args: argparse.Namespace, config: FleetConfig) -> int:
    value = sys.stdin.readline().rstrip("\r\n")
    where = set_secret(args.name, value)
    print(f"fleet secret {args.name} kept in {where}")
    return EXIT_OK


COMMANDS = {
    "migrate": cmd_migrate,
    "enroll": cmd_enroll,
    "status": cmd_status,
    "push": cmd_push,
    "ingest": cmd_ingest,
    "sessions": cmd_sessions,
    "revoke": cmd_revoke,
    "keygen": cmd_keygen,
    "fetch": cmd_fetch,
    "secret": cmd_secret,
}


def add_parser(sub: Any, parser_class: Any) -> None:
    """Add ``fleet`` and its subcommands to the main parser."""
    fleet = sub.add_parser("fleet", help="deliver results to the central PostgreSQL and images to S3 (docs/fleet.md)")
    fsub = fleet.add_subparsers(dest="fleet_command", parser_class=parser_class, required=True)

    p = fsub.add_parser("migrate", help="head office: create or update the central schema")
    p = fsub.add_parser("enroll", help="register this kiosk and its signing key at the centre")
    p.add_argument("--branch", required=True)
    p.add_argument("--device", required=True)
    p.add_argument("--head-office-key", default=None, metavar="PEM", help="head office's public key (from fleet keygen)")
    p.add_argument("--bucket", default=None)
    p.add_argument("--s3-endpoint", default=None, metavar="URL")
    p = fsub.add_parser("status", help="queue length, last success, last error")
    p.add_argument("--json", action="store_true")
    p = fsub.add_parser("push", help="deliver the queue now")
    p.add_argument("--all", action="store_true", help="also queue every earlier finished session (repeats are ignored centrally)")
    p = fsub.add_parser("ingest", help="head office: verify deliveries and file them")
    p.add_argument("--follow", action="store_true", help="keep running")
    p.add_argument("--interval", type=float, default=2.0, metavar="S")
    p = fsub.add_parser("sessions", help="sessions at the centre: list or show")
    p.add_argument("action", choices=["list", "show"])
    p.add_argument("ids", nargs="*")
    p.add_argument("--branch", default=None)
    p.add_argument("--device", default=None)
    p.add_argument("--since", default=None, help="finished at or after (ISO 8601, UTC)")
    p.add_argument("--status", default=None)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p = fsub.add_parser("revoke", help="head office: refuse a device's deliveries from now on (lost or replaced kiosk)")
    p.add_argument("device")
    p = fsub.add_parser("keygen", help="head office: make the key pair images are encrypted for")
    p.add_argument("--out", required=True, metavar="FILE", help="private key file (the public key goes beside it)")
    p = fsub.add_parser("fetch", help="head office: download and decrypt a session's image")
    p.add_argument("session")
    p.add_argument("role", help="reference, audit-0 .. audit-3, recording")
    p.add_argument("--key", required=True, metavar="PEM", help="head office's private key")
    p.add_argument("--out", required=True, metavar="FILE")
    p = fsub.add_parser("secret", help="keep a secret (dsn, s3-access-key, s3-secret-key) read from stdin")
    p.add_argument("action", choices=["set"])
    p.add_argument("name", choices=["dsn", "s3-access-key", "s3-secret-key"])
    fleet.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``livegate fleet``."""
    config = load_config()
    try:
        return COMMANDS[args.fleet_command](args, config)
    except LivegateError:
        raise
    except Exception as exc:
        # psycopg or boto3 errors that got past the wrappers: one line, no DSN.
        from app.core.fleet.outbox import _describe

        raise FleetCommandError(_describe(exc)) from exc


class FleetCommandError(LivegateError):
    """A fleet command failed on the database or the bucket."""

    exit_code = 3
