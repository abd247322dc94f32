"""``livegate serve`` and ``livegate token``."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys

from app.core import paths
from app.core.errors import ConfigError
from app.core.store.crypto import KeyStore, default_key_dir

_REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")


def _keys() -> KeyStore:
    return KeyStore(default_key_dir(paths.data_dir()), backend=os.environ.get("LIVEGATE_KEY_BACKEND", "").strip() or "auto")


def token(args: argparse.Namespace) -> int:
    """Print the API bearer token (created on first use); ``--rotate`` replaces it first.

    With ``--aws``: the access key pair that signs service-protocol requests, as two
    ``NAME=value`` lines a shell or an ``.env`` file takes as they are.
    """
    keys = _keys()
    if getattr(args, "aws", False):
        from app.core.api.sigv4 import rotate_credentials, stored_credentials

        if getattr(args, "rotate", False):
            creds = rotate_credentials(keys)
            print("livegate: the access keys were replaced; running servers keep the old ones until restarted", file=sys.stderr)
        else:
            creds = stored_credentials(keys)
        print(f"AWS_ACCESS_KEY_ID={creds.key_id}")
        print(f"AWS_SECRET_ACCESS_KEY={creds.secret}")
        return 0
    if getattr(args, "rotate", False):
        keys.rotate("api-token", secrets.token_bytes(32))
        print("livegate: the API token was replaced; running servers keep the old one until restarted", file=sys.stderr)
    print(keys.api_token())
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run the API until interrupted; returns the exit code."""
    from app.core.api.server import ApiServer, check_bind_address
    from app.core.api.sigv4 import stored_credentials
    from app.core.sessions.service import SessionService
    from app.core.settings import load_settings

    settings = load_settings()
    port = args.port if args.port is not None else settings.api_port
    check_bind_address(args.host, allow_remote=bool(args.allow_remote))
    regions = list(getattr(args, "aws_region", None) or [])
    bad = [r for r in regions if not _REGION_RE.fullmatch(r)]
    if bad:
        raise ConfigError(f"--aws-region {bad[0][:40]!r} is not a region name (lower-case letters, digits and '-', e.g. us-east-1)")
    keys = _keys()
    stored_credentials(keys)  # created now, so `livegate token --aws` and this server agree from the start
    with SessionService.open(settings=settings) as service:
        server = ApiServer(
            service,
            token=keys.api_token(),
            host=args.host,
            port=port,
            allow_remote=bool(args.allow_remote),
            aws_credentials=lambda: stored_credentials(keys),
            aws_regions=regions or None,
        )
        print(f"Livegate API on {server.url} (bearer token: `livegate token`; Ctrl+C or SIGTERM stops)", file=sys.stderr)
        print(
            f"livegate: AWS SDK clients use endpoint_url={server.url} with the keys `livegate token --aws` prints "
            f"(regions: {', '.join(regions) if regions else 'any'})",
            file=sys.stderr,
        )
        if not service.kiosk_attached:
            print("livegate: no kiosk screen in this process: sessions can be created and read, not started", file=sys.stderr)
        server.run()
    # Leaving the block closed the store (WAL checkpointed and removed): a service manager's SIGTERM is a clean stop.
    print(f"livegate: the API stopped{f' on {server.stopped_by}' if server.stopped_by else ''}; the session store is closed", file=sys.stderr)
    return 0
