"""``livegate sessions ...`` and ``livegate verify-result``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError
from app.core.sessions.clock import iso_utc, parse_time
from app.core.sessions.model import STATUSES, Session

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _time_arg(args: argparse.Namespace, name: str) -> float | None:
    raw = getattr(args, name, None)
    if raw in (None, ""):
        return None
    try:
        return parse_time(str(raw))
    except ValueError as exc:
        raise ConfigError(f"--{name}: {exc}") from exc


def _open_service(args: argparse.Namespace) -> Any:
    from app.core.sessions.service import SessionService

    # Never the owner: a running kiosk or API keeps ownership, and this command must never
    # mark that process's running session as interrupted. Listing, showing and exporting
    # read only: they change no byte of the store (or of a backup folder).
    return SessionService.open(owner=False, read_only=args.action in ("list", "show", "export"))


def _select(service: Any, args: argparse.Namespace) -> list[Session]:
    status = getattr(args, "status", None)
    if status is not None:
        status = status.upper()
        if status not in STATUSES:
            raise ConfigError(f"--status must be one of {', '.join(STATUSES)}; got {args.status!r}")
    raw_limit = getattr(args, "limit", None)
    limit = 1000 if raw_limit is None else int(raw_limit)
    if not 1 <= limit <= 1000:
        raise ConfigError("--limit must be 1-1000")
    return list(
        service.search(
            status=status,
            customer_ref=getattr(args, "customer", None),
            since=_time_arg(args, "since"),
            until=_time_arg(args, "until"),
            limit=limit,
        )
    )


def _line(session: Session) -> str:
    decision = (session.decision or "-") if session.verified else "UNVERIFIED"
    created = iso_utc(session.created_at) or "-"
    ref = session.settings.customer_ref or "-"
    reason = f"  ({session.reason})" if session.reason else ""
    return f"{session.id}  {created}  {session.status:11} {decision:5}  {ref}{reason}"


def sessions(args: argparse.Namespace) -> int:
    """Run ``livegate sessions list|show|export|purge|delete``; returns the exit code."""
    action = args.action
    ids: list[str] = list(getattr(args, "ids", []) or [])
    with _open_service(args) as service:
        if action == "list":
            found = _select(service, args)
            if args.json:
                print(json.dumps([s.summary() for s in found], indent=2))
            elif not found:
                print("No sessions match.")
            else:
                for session in found:
                    print(_line(session))
            return EXIT_OK
        if action == "show":
            if not ids:
                raise ConfigError("sessions show needs at least one session id")
            for sid in ids:
                session = service.get(sid)
                if args.json:
                    print(json.dumps(session.result or session.summary(), indent=2, ensure_ascii=False))
                    continue
                for key, value in session.summary().items():
                    print(f"{key:18} {value if value is not None else '-'}")
                if not session.verified:
                    print(f"{'Record':18} UNVERIFIED: its values do not match their tag (altered outside Livegate)")
                print(f"{'Files':18} {', '.join(f.role for f in session.files) or '-'}")
                if session.result:
                    for reason in session.result.get("Reasons", []):
                        print(f"{'Reason':18} {reason}")
                    sig = session.result.get("Signature", {})
                    print(f"{'Signed by':18} {sig.get('KeyId', '-')}")
                print()
            return EXIT_OK
        if action == "export":
            chosen = ids or [s.id for s in _select(service, args)]
            if not chosen:
                raise ConfigError("no session to export: give ids or filters (--status, --customer, --since, --until)")
            out = args.out or Path(f"livegate-export-{len(chosen)}.zip")
            path = service.export(chosen, Path(out), include_recordings=bool(getattr(args, "with_recordings", False)))
            print(f"exported {len(chosen)} session(s) to {path}")
            return EXIT_OK
        if action == "purge":
            older = getattr(args, "older_than", None)
            if older is not None and older < 0:
                raise ConfigError("--older-than must be 0 or more days")
            removed = service.purge(older_than_days=older)
            print(f"purged {len(removed)} session(s)")
            return EXIT_OK
        if action == "delete":
            if not ids:
                raise ConfigError("sessions delete needs at least one session id")
            for sid in ids:
                service.delete(sid)
                print(f"deleted {sid}")
            return EXIT_OK
    raise ConfigError(f"unknown sessions action {action!r}")


def verify_result(args: argparse.Namespace) -> int:
    """Run ``livegate verify-result FILE`` (0 valid, 1 invalid, 2 unreadable) or ``--export-key``."""
    from app.core import paths
    from app.core.store.crypto import KeyStore, default_key_dir
    from app.core.store.signing import ResultSigner, key_id, load_public_pem, parse_strict, verify_document

    keys = KeyStore(default_key_dir(paths.data_dir()), backend=os.environ.get("LIVEGATE_KEY_BACKEND", "").strip() or "auto")
    if getattr(args, "export_key", False):
        signer = ResultSigner(keys.signing_seed())
        sys.stdout.write(signer.public_pem())
        print(f"# key id {signer.key_id}", file=sys.stderr)
        return EXIT_OK
    if args.file is None:
        raise ConfigError("verify-result needs a FILE (or --export-key)")
    try:
        document = parse_strict(Path(args.file).read_bytes())
    except (OSError, ValueError) as exc:
        print(f"livegate: cannot read {args.file} as JSON: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    trusted: dict[str, Any] = {}
    own = keys.peek_signing_key()
    if own is not None:
        signer = ResultSigner(own)
        trusted[signer.key_id] = signer.public_key
        own_id = signer.key_id
    else:
        own_id = None
    for key_file in getattr(args, "key", None) or []:
        try:
            public = load_public_pem(Path(key_file).read_bytes())
        except (OSError, ValueError) as exc:
            print(f"livegate: cannot read public key {key_file}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        trusted[key_id(public)] = public
    check = verify_document(document, trusted)
    whose = ""
    if check.key_id:
        whose = " (this device's key)" if check.key_id == own_id else (" (a key given with --key)" if check.trusted_key else "")
    if check.valid:
        print(f"valid: {args.file} is signed by {check.key_id}{whose}")
        return EXIT_OK
    print(f"INVALID: {args.file}: {check.reason}{whose}")
    if check.key_id and not check.trusted_key:
        print("  (verify with the signer's public key: livegate verify-result FILE --key signer.pem)")
    return EXIT_FAILED
