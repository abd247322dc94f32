"""Running the API: standalone (``livegate serve``) or inside the GUI's event loop.

Uvicorn serves the Starlette app through ``GuardedH11Protocol`` (connection
bounds, header/idle timeouts, JSON answers under overload; see ``guard.py``).
In the GUI, ``ApiServer.serve()`` is awaited as a task on the qasync loop (no
second thread, no second event loop); the signal handlers uvicorn would install
are left to the GUI. Standalone, ``ApiServer.run()`` runs its own loop and
returns normally on SIGINT or SIGTERM, so the caller closes the store cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import socket
from collections.abc import Callable, Generator, Iterable

import uvicorn

from app.core.api.app import HostPolicy, create_app
from app.core.api.aws import AwsSurface
from app.core.api.sigv4 import DEFAULT_SKEW_S, Credentials, SigV4Verifier
from app.core.api.guard import MAX_HEAD, ConnectionGuard, ServerLimits, guarded_protocol
from app.core.errors import ApiError, ConfigError
from app.core.sessions.service import SessionService

log = logging.getLogger(__name__)


def check_bind_address(host: str, *, allow_remote: bool = False) -> str:
    """Validate a bind address; only loopback unless ``allow_remote``.

    Returns
    -------
    str
        The IP address to bind (``localhost`` becomes ``127.0.0.1``).

    Raises
    ------
    ConfigError
        For a non-IP address, or a non-loopback one without ``allow_remote``.
    """
    literal = "127.0.0.1" if host.strip().lower() == "localhost" else host.strip().strip("[]")
    try:
        address = ipaddress.ip_address(literal)
    except ValueError as exc:
        raise ConfigError(f"bind address {host!r} is not an IP address; use 127.0.0.1 (or ::1)") from exc
    if not address.is_loopback and not allow_remote:
        raise ConfigError(
            f"refusing to listen on {host}: the API serves biometric data over plain HTTP and listens on "
            "127.0.0.1 only; pass --allow-remote to override (and put TLS in front)"
        )
    if not address.is_loopback:
        log.warning("the API listens on non-loopback address %s: anyone who can reach it and has the token gets results", host)
    return str(address)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (the GUI, or ``ApiServer.run``).

    Uvicorn's own handling re-raises the signal after shutting down, which killed
    ``livegate serve`` with SIGTERM (exit 143) before the store was closed.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ApiServer:
    """The local API bound to a socket.

    Parameters
    ----------
    service:
        The session service (shared with the GUI when embedded).
    token:
        Bearer token (``KeyStore.api_token()``).
    host, port:
        Bind address (checked by ``check_bind_address``) and port (0 = any free port).
    allow_remote:
        Permit a non-loopback ``host``.
    limits:
        Connection bounds and timeouts (defaults: ``ServerLimits()``).
    aws_credentials:
        Returns the access key that signs service-protocol requests (``POST /``, see
        ``docs/migrating.md``); None leaves that surface out.
    aws_regions:
        Region names accepted in signatures (default: any).
    aws_skew_s:
        Largest clock difference accepted in a signature.

    Raises
    ------
    ConfigError
        For a refused bind address.
    ApiError
        When the port cannot be bound (in use, no permission).
    """

    def __init__(
        self,
        service: SessionService,
        *,
        token: str,
        host: str = "127.0.0.1",
        port: int = 8765,
        allow_remote: bool = False,
        limits: ServerLimits | None = None,
        aws_credentials: Callable[[], Credentials] | None = None,
        aws_regions: Iterable[str] | None = None,
        aws_skew_s: float = DEFAULT_SKEW_S,
    ) -> None:
        if not 0 <= int(port) <= 65535:
            raise ConfigError(f"port must be 0-65535; got {port}")
        self.host = check_bind_address(host, allow_remote=allow_remote)
        self.limits = limits or ServerLimits()
        self.aws: AwsSurface | None = None
        if aws_credentials is not None:
            verifier = SigV4Verifier(aws_credentials, regions=aws_regions, skew_s=aws_skew_s)
            self.aws = AwsSurface(service, verifier)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, int(port)))
            sock.listen(min(socket.SOMAXCONN, 1024))
        except OSError as exc:
            sock.close()
            if self.aws is not None:
                self.aws.close()
            raise ApiError(f"cannot listen on {self.host}:{port} ({exc.strerror or exc}); is another Livegate API running? use --port") from exc
        sock.setblocking(False)
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        # The Host header must name this server (DNS-rebinding defence), so the app needs the real port.
        self.app = create_app(
            service, token=token, hosts=HostPolicy(self.host, self.port), body_timeout_s=self.limits.body_timeout_s, aws=self.aws
        )
        self.guard = ConnectionGuard(self.limits)
        self._server: uvicorn.Server | None = None
        #: The signal that ended ``run()``, if one did.
        self.stopped_by: str | None = None

    @property
    def url(self) -> str:
        """Base URL of the API."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,  # request lines carry session ids: keep them out of logs by default
            lifespan="off",
            http=guarded_protocol(self.guard),
            ws="none",
            server_header=False,
            proxy_headers=False,
            # No uvicorn-level limit: it counts idle sockets and answers in plain text; the guard bounds
            # connections per client and answers JSON.
            limit_concurrency=None,
            timeout_keep_alive=max(1, round(self.limits.idle_timeout_s)),
            timeout_graceful_shutdown=10,
            h11_max_incomplete_event_size=MAX_HEAD,
        )

    async def serve(self) -> None:
        """Serve inside the running event loop (the GUI's qasync loop) until ``stop()``."""
        self._server = _EmbeddedServer(self._config())
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            self._close()

    def run(self) -> None:
        """Serve in a fresh event loop until SIGINT or SIGTERM (``livegate serve``), then return.

        The first signal lets open requests finish (at most 10 s); a second one ends at once.
        """
        self._server = _EmbeddedServer(self._config())
        try:
            asyncio.run(self._run_with_signals(self._server))
        finally:
            self._close()

    def _close(self) -> None:
        self._socket.close()
        if self.aws is not None:
            self.aws.close()

    async def _run_with_signals(self, server: uvicorn.Server) -> None:
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                continue
            installed.append(sig)
        try:
            await server.serve(sockets=[self._socket])
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._server is None:
            return
        if self._server.should_exit:
            self._server.force_exit = True
        self._server.should_exit = True
        self.stopped_by = sig.name
        log.info("the API received %s and is stopping", sig.name)

    def stop(self) -> None:
        """Ask the server to finish (open requests complete first)."""
        if self._server is not None:
            self._server.should_exit = True
        else:
            self._close()
