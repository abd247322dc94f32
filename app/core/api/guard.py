"""Connection-level defences of the API server: timeouts, a bound per client, JSON answers under overload.

Uvicorn's own limit (``limit_concurrency``) counts every open connection, idle or not, and answers
a plain-text 503 once it is reached, so 64 idle sockets from any local process blocked the API.
Here every connection is registered with a ``ConnectionGuard`` instead:

* A connection waiting for a request (fresh, or kept alive after a response) must send its first
  byte within ``idle_timeout_s`` and its complete request head within ``header_timeout_s`` of
  the start of the wait; otherwise it is closed (with a JSON 408 when it had sent part of a head).
* Each client address may hold at most ``max_connections_per_client`` connections, and the server
  at most ``max_connections``. A new connection beyond a bound takes the place of that client's
  (or, for the total, the busiest client's) oldest *waiting* connection, one that has been waiting
  for at least ``eviction_grace_s``. Connections with a request in progress are never closed for
  a newcomer. On loopback every local process is the same client, so this eviction is what lets
  a normal client in while another process holds idle sockets.
* When nothing can be evicted, the newcomer is still read up to its request head; its request then
  waits up to ``queue_wait_s`` for a place, and is otherwise answered
  ``503 {"Error": {"Code": "ServerBusy"}}`` with ``Retry-After``, and the connection closed.
* A malformed request head is answered with a JSON 400 (not uvicorn's plain text).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.core.api.errors import ApiProblem

_REASONS = {400: "Bad Request", 408: "Request Timeout", 503: "Service Unavailable"}
#: Largest request head (request line and headers) in bytes.
MAX_HEAD = 16 * 1024


@dataclass(frozen=True)
class ServerLimits:
    """Connection bounds and timeouts of the API server (all positive).

    Attributes
    ----------
    max_connections_per_client:
        Open connections one client address may hold.
    max_connections:
        Open connections in total.
    idle_timeout_s:
        A connection waiting for a request must send a byte within this time.
    header_timeout_s:
        ... and its whole request head within this time (from the start of the wait).
    body_timeout_s:
        A request body must arrive completely within this time after its head.
    eviction_grace_s:
        A waiting connection is only closed for a newcomer after waiting this long, so a client
        that has just connected gets the time to send its request.
    queue_wait_s:
        How long the request of a connection beyond the bounds waits for a place before its 503.
    """

    max_connections_per_client: int = 64
    max_connections: int = 256
    idle_timeout_s: float = 5.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 20.0
    eviction_grace_s: float = 0.5
    queue_wait_s: float = 2.0

    def __post_init__(self) -> None:
        for name in ("max_connections_per_client", "max_connections"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("idle_timeout_s", "header_timeout_s", "body_timeout_s"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be positive")
        if float(self.eviction_grace_s) < 0 or float(self.queue_wait_s) < 0:
            raise ValueError("eviction_grace_s and queue_wait_s must not be negative")


def raw_problem_response(problem: ApiProblem, *, headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response carrying ``problem`` as JSON, closing the connection.

    Used where no request cycle exists (timeouts before the head, malformed heads), so the bytes
    are written to the transport directly.
    """
    body = json.dumps(problem.body()).encode("utf-8")
    lines = [
        f"HTTP/1.1 {problem.status} {_REASONS.get(problem.status, 'Error')}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def busy_problem() -> ApiProblem:
    """The 503 answered when the connection bounds are reached and nothing can be evicted."""
    return ApiProblem(503, "ServerBusy", "the API is serving as many connections as it allows; retry in a moment")


async def _busy_app(scope: Any, receive: Any, send: Any) -> None:
    """ASGI app answering every request of a refused connection with the JSON 503."""
    if scope["type"] != "http":
        return
    body = json.dumps(busy_problem().body()).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ConnectionGuard:
    """Book-keeping of open connections per client; decides who is admitted and who is evicted.

    Parameters
    ----------
    limits:
        The bounds and timeouts.
    clock:
        Monotonic time source (seconds).
    """

    def __init__(self, limits: ServerLimits, *, clock: Any = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._by_client: dict[str, dict["GuardedH11Protocol", None]] = {}
        self._total = 0
        self.refused_open = 0
        #: Counters for logs and tests.
        self.evicted = 0
        self.refused = 0

    @property
    def open_connections(self) -> int:
        """Admitted connections currently open."""
        return self._total

    def now(self) -> float:
        """The guard's monotonic time."""
        return float(self._clock())

    def admit(self, conn: "GuardedH11Protocol") -> bool:
        """Register ``conn``; evict a waiting connection to make room if needed.

        Returns
        -------
        bool
            False when a bound is reached and no connection can be evicted (``conn`` is then
            not registered and must be refused).
        """
        key = conn.client_key
        mine = self._by_client.get(key, {})
        if len(mine) >= self.limits.max_connections_per_client:
            victim = self._oldest_waiting(mine)
            if victim is None:
                return False
            self._evict(victim)
        if self._total >= self.limits.max_connections:
            busiest = sorted(self._by_client.values(), key=len, reverse=True)
            victim = next((v for v in (self._oldest_waiting(c) for c in busiest) if v is not None), None)
            if victim is None:
                return False
            self._evict(victim)
        self._by_client.setdefault(key, {})[conn] = None
        self._total += 1
        return True

    def release(self, conn: "GuardedH11Protocol") -> None:
        """Forget ``conn`` (closed, or evicted); safe to call more than once."""
        mine = self._by_client.get(conn.client_key)
        if mine is not None and conn in mine:
            del mine[conn]
            self._total -= 1
            if not mine:
                del self._by_client[conn.client_key]

    def _oldest_waiting(self, conns: dict["GuardedH11Protocol", None]) -> "GuardedH11Protocol | None":
        cutoff = self.now() - self.limits.eviction_grace_s
        waiting = [c for c in conns if c.waiting_since is not None and c.waiting_since <= cutoff]
        return min(waiting, key=lambda c: c.waiting_since or 0.0) if waiting else None

    def _evict(self, conn: "GuardedH11Protocol") -> None:
        self.release(conn)
        self.evicted += 1
        conn.close_quietly()


class GuardedH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol with the guard's timeouts, bounds and JSON error answers.

    Subclassed per server by ``guarded_protocol`` (the class attribute ``guard`` is that server's).
    """

    guard: ConnectionGuard

    # --- connection life --------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._timer: asyncio.TimerHandle | None = None
        self.waiting_since: float | None = None
        self._got_bytes = False
        self._standing = "closed"
        super().connection_made(transport)
        self.client_key = self.client[0] if self.client else "?"
        if self.guard.admit(self):
            self._standing = "admitted"
        elif self.guard.refused_open < self.guard.limits.max_connections:
            # Read the request head, then wait for a place or answer the JSON 503: closing at once
            # could make the client see a reset instead of an answer.
            self._standing = "refused"
            self.guard.refused += 1
            self.guard.refused_open += 1
            self._real_app = self.app
            self.app = self._wait_for_place
        else:
            self.guard.refused += 1
            transport.abort()  # past a bound on refused connections too: drop without reading
            return
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self.waiting_since = None
        if self._standing == "admitted":
            self.guard.release(self)
        elif self._standing == "refused":
            self.guard.refused_open -= 1
        self._standing = "closed"
        super().connection_lost(exc)

    async def _wait_for_place(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI app of a connection beyond the bounds: serve it once admitted, else the JSON 503."""
        deadline = self.guard.now() + self.guard.limits.queue_wait_s
        while self._standing == "refused" and not self.transport.is_closing():
            if self.guard.admit(self):
                self.guard.refused_open -= 1
                self._standing = "admitted"
                self.app = self._real_app  # later requests on this connection go straight through
                await self._real_app(scope, receive, send)
                return
            if self.guard.now() >= deadline:
                break
            await asyncio.sleep(0.05)
        await _busy_app(scope, receive, send)

    def close_quietly(self) -> None:
        """Close without an answer (an idle connection, or one evicted for a newcomer)."""
        self._cancel_timer()
        self.waiting_since = None
        if not self.transport.is_closing():
            self.transport.close()

    # --- waiting for a request head ------------------------------------------------------

    def _start_waiting(self) -> None:
        self.waiting_since = self.guard.now()
        # Part of the next head may already be buffered (pipelining).
        self._got_bytes = bool(self.conn.trailing_data[0])
        limits = self.guard.limits
        self._arm(limits.header_timeout_s if self._got_bytes else limits.idle_timeout_s)

    def _arm(self, delay: float) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(max(delay, 0.0), self._on_wait_timeout)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_wait_timeout(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self.waiting_since is None:
            return
        if self._got_bytes:
            problem = ApiProblem(408, "RequestTimeout", f"the request head did not arrive within {self.guard.limits.header_timeout_s:g} s")
            self.transport.write(raw_problem_response(problem))
        self.close_quietly()

    def data_received(self, data: bytes) -> None:
        if self.waiting_since is not None:
            if not self._got_bytes and data:
                self._got_bytes = True
                elapsed = self.guard.now() - self.waiting_since
                self._arm(self.guard.limits.header_timeout_s - elapsed)
            # h11 bounds only an incomplete head; a large one arriving whole would be parsed.
            pending = self.conn.trailing_data[0] + data
            end = pending.find(b"\r\n\r\n")
            if end > MAX_HEAD or (end == -1 and len(pending) > MAX_HEAD):
                self.send_400_response("request head too large")
                return
        super().data_received(data)
        if self.waiting_since is not None and self.conn.their_state is not h11.IDLE:
            # The head is complete (or the connection failed): the request's own deadlines apply now.
            self.waiting_since = None
            self._cancel_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            self._start_waiting()
        elif self.conn.our_state is h11.DONE:
            # Answered before the client finished sending its body: the rest must still arrive in time.
            self.waiting_since = self.guard.now()
            self._got_bytes = True
            self._arm(self.guard.limits.header_timeout_s)

    # --- malformed requests ------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """A malformed request head: a JSON 400 instead of uvicorn's plain text, then close."""
        self._cancel_timer()
        self.waiting_since = None
        problem = ApiProblem(400, "InvalidRequest", "the request is not valid HTTP/1.1 (or its head is larger than 16 KiB)")
        self.transport.write(raw_problem_response(problem))
        self.transport.close()


def guarded_protocol(guard: ConnectionGuard) -> type[GuardedH11Protocol]:
    """A protocol class bound to ``guard`` (uvicorn instantiates the class per connection)."""
    return type("GuardedH11ProtocolBound", (GuardedH11Protocol,), {"guard": guard})
