"""``livegate serve`` and ``livegate token``."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from app.core import paths
from app.core.store.crypto import KeyStore, default_key_dir


def _keys() -> KeyStore:
    return KeyStore(default_key_dir(paths.data_dir()), backend=os.environ.get("LIVEGATE_KEY_BACKEND", "").strip() or "auto")


def token(args: argparse.Namespace) -> int:
    """Print the API bearer token (created on first use); ``--rotate`` replaces it first."""
    keys = _keys()
    if getattr(args, "rotate", False):
        keys.rotate("api-token", secrets.token_bytes(32))
        print("livegate: the API token was replaced; running servers keep the old one until restarted", file=sys.stderr)
    print(keys.api_token())
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run the API until interrupted; returns the exit code."""
    from app.core.api.server import ApiServer, check_bind_address
    from app.core.sessions.service import SessionService
    from app.core.settings import load_settings

    settings = load_settings()
    port = args.port if args.port is not None else settings.api_port
    check_bind_address(args.host, allow_remote=bool(args.allow_remote))
    keys = _keys()
    with SessionService.open(settings=settings) as service:
        server = ApiServer(service, token=keys.api_token(), host=args.host, port=port, allow_remote=bool(args.allow_remote))
        print(f"Livegate API on {server.url} (bearer token: `livegate token`; Ctrl+C or SIGTERM stops)", file=sys.stderr)
        if not service.kiosk_attached:
            print("livegate: no kiosk screen in this process: sessions can be created and read, not started", file=sys.stderr)
        server.run()
    # Leaving the block closed the store (WAL checkpointed and removed): a service manager's SIGTERM is a clean stop.
    print(f"livegate: the API stopped{f' on {server.stopped_by}' if server.stopped_by else ''}; the session store is closed", file=sys.stderr)
    return 0
