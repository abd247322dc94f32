"""Start the outbox sender beside a session store that this process owns (GUI, API).

Never raises: a kiosk must run checks whether or not head office is reachable or
configured. Problems are logged once, without secrets.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from app.core.errors import LivegateError

log = logging.getLogger(__name__)

#: ``off`` disables the background sender in this process (``livegate fleet push`` still works).
DISABLE_ENV = "LIVEGATE_FLEET_SENDER"


def attach_sender(service: Any) -> Any:
    """Start a ``Sender`` for ``service.store`` when this device is enrolled; wake it on every finished session.

    Returns
    -------
    Sender or None
        The running sender (stop it before closing the store), or ``None``.
    """
    if os.environ.get(DISABLE_ENV, "").strip().lower() in ("off", "0", "false", "no"):
        return None
    try:
        from app.core.fleet.config import get_secret, load_config
        from app.core.fleet.outbox import Sender

        config = load_config()
        if not config.enrolled:
            return None
        dsn = get_secret("dsn")
        if not dsn:
            log.warning("fleet: this device is enrolled but no central DSN is set (LIVEGATE_FLEET_DSN or the keyring); results stay queued")
            return None
        sender = Sender(service.store, config, dsn)
    except (LivegateError, ImportError, OSError, ValueError) as exc:
        log.warning("fleet: the sender cannot start (%s); results stay queued", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None

    def on_event(event: Any) -> None:
        if event.kind == "finished":
            sender.wake()

    sender.unsubscribe = service.subscribe(on_event)
    sender.start()
    log.info("fleet: sending results of device %s (branch %s) in the background", config.device_id, config.branch)
    return sender
