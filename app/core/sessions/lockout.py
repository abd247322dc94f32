"""Lock-out after repeated failed checks on this device.

Vendor advice for the reference service: at most 5 failed checks per device in
3 minutes, then 30-60 minutes of refusal.

What a kiosk needs, and how it is kept:

* **Time that no clock change shortens.** A pause and the failure window run
  on a *trusted timeline*: seconds of the machine's elapsed-time clock
  (boot time, which no user sets). The record keeps where the timeline stood
  at its last save and the clocks at that moment; the same boot continues
  from the elapsed-time difference (a process restart loses nothing), a
  reboot resumes where the record was saved (down time is not counted: a
  reboot never shortens a pause). The wall clock is only used to *show* when
  the pause ends; when it went backwards or jumped past what the elapsed
  clock says, that is logged and ignored.
* **A policy and a PIN that the settings file cannot change alone.** The
  policy in force (on/off, failures, window, pause) and the operator PIN hash
  that guards it are sealed into the record. Settings (``settings.json``,
  ``LIVEGATE_LOCKOUT_*``) are adopted only after the sealed PIN confirms them;
  the first PIN ever set is adopted as it is (there was none to ask for).
* **Removal is detected.** The record lives in the store (MAC'd with a key
  of the store's key store) and its sequence number and digest also in a
  journal file beside the database. At start a missing or altered record, a
  missing journal, or a journal ahead of the store (rows deleted, the
  write-ahead log lost) locks the device until an operator confirms with the
  PIN.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.core.errors import StoreError
from app.core.sessions.clock import Clock, ClockReading, iso_utc, read_clocks
from app.core.sessions.pin import is_valid_pin_hash, verify_pin
from app.core.settings import Settings

log = logging.getLogger(__name__)

#: The wall clock may differ from the elapsed clock by this much before it counts as changed.
WALL_TOLERANCE_S = 120.0


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within which window lock the device, and for how long."""

    enabled: bool = True
    failures: int = 5
    window_s: float = 180.0
    duration_s: float = 1800.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "LockoutPolicy":
        """The policy configured in the app settings."""
        return cls(bool(settings.lockout_enabled), int(settings.lockout_failures), float(settings.lockout_window_s), float(settings.lockout_duration_s))

    def describe_change(self, new: "LockoutPolicy") -> list[str]:
        """Human-readable differences from ``self`` to ``new`` (empty: the same)."""
        out = []
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(new, f.name)
            if a != b:
                out.append(f"lockout_{f.name}: {a} -> {b}")
        return out


@dataclass(frozen=True)
class LockoutStatus:
    """The device's lock-out state at one moment.

    Attributes
    ----------
    locked:
        New checks are refused.
    until:
        POSIX time the lock-out ends (``None`` when not locked, or locked until an operator confirms).
    recent_failures:
        Failures counted in the current window.
    limit:
        Failures that trigger a lock-out.
    message:
        One sentence for the screen (no score, no personal data).
    needs_operator:
        Locked until an operator confirms with the PIN (the lock-out record was removed or altered).
    """

    locked: bool
    until: float | None
    recent_failures: int
    limit: int
    message: str
    needs_operator: bool = False


@dataclass
class LockoutRecord:
    """The sealed lock-out state (times are on the trusted timeline unless named ``wall``)."""

    seq: int = 0
    policy: LockoutPolicy = field(default_factory=LockoutPolicy)
    #: Operator PIN hash that guards the policy and ends a pause ("" = none set yet).
    pin_hash: str = ""
    #: Trusted time at the last save, and the clocks at that moment.
    t: float = 0.0
    wall: float = 0.0
    mono: float = 0.0
    boot: str = ""
    #: Trusted times of the failures still inside the window.
    failures: list[float] = field(default_factory=list)
    #: The pause ends at this trusted time (0: no pause).
    until_t: float = 0.0
    #: The failure window starts no earlier than this (the last lock-out or override; -1: none yet).
    reset_t: float = -1.0
    #: Why an operator must confirm before checks resume ("" = nothing to confirm).
    confirm: str = ""

    @classmethod
    def fresh(cls, policy: LockoutPolicy, pin_hash: str, now: ClockReading) -> "LockoutRecord":
        """A new record starting the timeline at zero."""
        return cls(policy=policy, pin_hash=pin_hash, wall=now.wall, mono=now.mono, boot=now.boot)

    def elapsed(self, now: ClockReading) -> tuple[float, str]:
        """Trusted seconds since the last save, and a note when the wall clock disagrees ("" when it agrees)."""
        same_boot = now.boot == self.boot and now.mono >= self.mono
        elapsed = now.mono - self.mono if same_boot else 0.0
        wall = now.wall - self.wall
        note = ""
        if wall < -WALL_TOLERANCE_S:
            note = f"the wall clock went back by {-wall:.0f} s"
        elif same_boot and wall > elapsed + WALL_TOLERANCE_S:
            note = f"the wall clock moved {wall:.0f} s while {elapsed:.0f} s passed"
        return elapsed, note

    def at(self, now: ClockReading) -> tuple["LockoutRecord", str]:
        """This record brought forward to ``now`` (old failures dropped), and the wall-clock note."""
        elapsed, note = self.elapsed(now)
        t = self.t + elapsed
        start = self.window_start(t)
        rec = dataclasses.replace(
            self, t=t, wall=now.wall, mono=now.mono, boot=now.boot, failures=[f for f in self.failures if f > start]
        )
        return rec, note

    def window_start(self, t: float) -> float:
        """Failures after this trusted time count."""
        return max(t - self.policy.window_s, self.reset_t)

    def recent(self) -> int:
        """Failures inside the window at the record's time."""
        start = self.window_start(self.t)
        return sum(1 for f in self.failures if f > start)

    def remaining_s(self) -> float:
        """Seconds of pause left at the record's time (0: none)."""
        return max(0.0, self.until_t - self.t) if self.policy.enabled else 0.0

    def add_failure(self) -> bool:
        """Count a failure at the record's time; returns True when it starts a pause."""
        self.failures.append(self.t)
        p = self.policy
        if p.enabled and self.recent() >= p.failures and self.t >= self.until_t:
            self.until_t = self.t + p.duration_s
            self.reset_t = self.t
            return True
        return False

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["policy"] = dataclasses.asdict(self.policy)
        return data

    @classmethod
    def from_json(cls, data: Any) -> "LockoutRecord":
        """Parse a stored record.

        Raises
        ------
        ValueError
            When a field is missing or of the wrong type.
        """
        if not isinstance(data, dict):
            raise ValueError("the lock-out record is not an object")
        try:
            p = data["policy"]
            policy = LockoutPolicy(bool(p["enabled"]), int(p["failures"]), float(p["window_s"]), float(p["duration_s"]))
            return cls(
                seq=int(data["seq"]),
                policy=policy,
                pin_hash=str(data["pin_hash"]),
                t=float(data["t"]),
                wall=float(data["wall"]),
                mono=float(data["mono"]),
                boot=str(data["boot"]),
                failures=[float(x) for x in data["failures"]],
                until_t=float(data["until_t"]),
                reset_t=float(data["reset_t"]),
                confirm=str(data["confirm"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the lock-out record is malformed ({exc})") from exc


def canonical(data: Any) -> bytes:
    """The bytes that are MAC'd and hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(payload: dict[str, Any], key: bytes) -> str:
    """``payload`` with its HMAC-SHA256, as JSON text."""
    mac = hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()
    return json.dumps({"payload": payload, "mac": mac}, sort_keys=True)


def unseal(text: str, key: bytes) -> dict[str, Any]:
    """The payload of a :func:`seal` text.

    Raises
    ------
    ValueError
        When the text is malformed or its MAC does not match (it was altered).
    """
    try:
        outer = json.loads(text)
        payload, mac = outer["payload"], outer["mac"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"unreadable ({exc})") from exc
    if not isinstance(payload, dict) or not isinstance(mac, str):
        raise ValueError("unreadable (wrong shape)")
    expected = hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        raise ValueError("its seal does not match (it was changed outside Livegate)")
    return payload


def digest(record: LockoutRecord) -> str:
    """SHA-256 of a record's canonical form (kept in the journal)."""
    return hashlib.sha256(canonical(record.to_json())).hexdigest()


#: Store state key of the sealed record, and the journal file beside the database.
RECORD_KEY = "lockout_record"
JOURNAL_NAME = "lockout.journal"
#: A locked record is re-saved at least this often, so a reboot loses little of the time already served.
RESAVE_S = 60.0


class LockoutStore(Protocol):
    """What the lock-out needs of ``app.core.store.SessionStore``."""

    root: Path
    owner: bool
    keys: Any

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


class LockoutBook:
    """Keeps the :class:`LockoutRecord` of one store: loads and checks it at start, saves every change.

    Parameters
    ----------
    store:
        The session store (its state table holds the record; its folder the journal).
    settings:
        Policy and PIN used for a brand-new record.
    clock:
        Wall clock (with ``monotonic()`` and ``boot_id()`` where available).

    A store opened read-only (``owner`` false) is checked the same way but never written.
    """

    def __init__(self, store: LockoutStore, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.RLock()
        self._key = bytes(store.keys.secret("lockout", create=lambda: secrets.token_bytes(32)))
        self._journal = Path(store.root) / JOURNAL_NAME
        self._last_note = ""
        self.record = self._load(settings)

    # --- loading and checking ---------------------------------------------------------------

    def _read_journal(self) -> str | None:
        try:
            return self._journal.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"unreadable: {exc}"

    def _load(self, settings: Settings) -> LockoutRecord:
        now = read_clocks(self.clock)
        raw = self.store.get_state(RECORD_KEY)
        journal = self._read_journal()
        if raw is None and journal is None:
            record = self._first_record(settings, now)
            self._save(record, first=True)
            return record
        record: LockoutRecord | None = None
        problem = ""
        if raw is not None:
            try:
                record = LockoutRecord.from_json(unseal(raw, self._key))
            except ValueError as exc:
                problem = f"the lock-out record in the session store is {exc}"
        entry: dict[str, Any] | None = None
        if journal is not None:
            try:
                entry = unseal(journal, self._key)
                int(entry["seq"])
                str(entry["digest"])
            except (ValueError, KeyError, TypeError) as exc:
                problem = problem or f"the lock-out journal {self._journal.name} is {exc}"
                entry = None
        if not problem:
            if raw is None:
                problem = "the lock-out record was removed from the session store (rows deleted or its write-ahead log lost)"
            elif journal is None:
                problem = f"the lock-out journal {self._journal.name} was removed"
            elif record is not None and entry is not None:
                seq = int(entry["seq"])
                if seq > record.seq:
                    problem = (
                        f"the session store lost lock-out changes (record {record.seq}, journal {seq}): "
                        "rows were deleted or its write-ahead log was lost"
                    )
                elif seq == record.seq and entry["digest"] != digest(record):
                    problem = "the lock-out record does not match its journal"
                elif record.seq > seq + 1:
                    problem = f"the lock-out journal is older than the store's record ({seq} < {record.seq})"
        seq_floor = max(record.seq if record else 0, int(entry["seq"]) if entry else 0)
        if not problem:
            assert record is not None
            if entry is not None and record.seq == int(entry["seq"]) + 1 and self.store.owner:
                self._write_journal(record)  # the previous run stopped between its two writes
            # Continue the timeline from here: after a reboot the old elapsed-clock reading means nothing.
            record, note = record.at(now)
            if note:
                log.warning("lock-out: %s since the last start; the pause follows the elapsed-time clock", note)
            self._save(record)
            return record
        log.error("lock-out: %s; checks are refused until an operator confirms with the PIN", problem)
        if record is None:
            # Nothing trustworthy is left: the strict default policy, locked, guarded by the settings' PIN.
            record = LockoutRecord.fresh(LockoutPolicy(), settings.kiosk_pin_hash if is_valid_pin_hash(settings.kiosk_pin_hash) else "", now)
        record.seq = seq_floor
        record.confirm = problem
        self._save(record)
        return record

    def _first_record(self, settings: Settings, now: ClockReading) -> LockoutRecord:
        pin = settings.kiosk_pin_hash if is_valid_pin_hash(settings.kiosk_pin_hash) else ""
        record = LockoutRecord.fresh(LockoutPolicy.from_settings(settings), pin, now)
        # A store of an older Livegate kept the pause end as wall time; carry a running pause over.
        old_until = self.store.get_state("lockout_until")
        try:
            left = float(old_until) - now.wall if old_until else 0.0
        except ValueError:
            left = 0.0
        if 0 < left <= record.policy.duration_s:
            record.until_t = left
        return record

    # --- saving -----------------------------------------------------------------------------

    def _write_journal(self, record: LockoutRecord) -> None:
        text = seal({"seq": record.seq, "digest": digest(record)}, self._key)
        tmp = self._journal.with_name(f".{self._journal.name}.{secrets.token_hex(4)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._journal)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"cannot write the lock-out journal {self._journal}: {exc}") from exc

    def _save(self, record: LockoutRecord, *, first: bool = False) -> None:
        """Seal ``record`` with the next sequence number: the store first, then the journal."""
        if not self.store.owner:
            return  # a reader never writes; the owning process keeps the record
        record.seq += 1
        self.store.set_state(RECORD_KEY, seal(record.to_json(), self._key))
        self._write_journal(record)
        if first:
            log.info("lock-out record created (policy %s)", record.policy)

    # --- use ----------------------------------------------------------------------------------

    def now(self) -> tuple[LockoutRecord, ClockReading]:
        """The record brought forward to now (not saved), and the clock reading."""
        reading = read_clocks(self.clock)
        with self._lock:
            record, note = self.record.at(reading)
            if note and note != self._last_note:
                log.warning("lock-out: %s; the pause follows the elapsed-time clock, not the wall clock", note)
            self._last_note = note
            if record.remaining_s() > 0 and reading.mono - self.record.mono >= RESAVE_S and self.store.owner:
                self._commit(record)
        return record, reading

    def _commit(self, record: LockoutRecord) -> None:
        self._save(record)
        self.record = record

    def status(self) -> LockoutStatus:
        """The lock-out state now."""
        record, reading = self.now()
        p = record.policy
        recent = record.recent()
        if record.confirm:
            return LockoutStatus(
                True,
                None,
                recent,
                p.failures,
                "This device is paused until a member of staff confirms it. Please ask staff for help.",
                needs_operator=True,
            )
        remaining = record.remaining_s()
        if remaining > 0:
            minutes = max(1, int(round(remaining / 60)))
            return LockoutStatus(
                True,
                reading.wall + remaining,
                recent,
                p.failures,
                f"Too many unsuccessful checks on this device. Please try again in about {minutes} minute(s) or ask staff for help.",
            )
        return LockoutStatus(False, None, recent, p.failures, "")

    def add_failure(self) -> None:
        """Count a failed check (saved at once)."""
        with self._lock:
            record, _ = self.now()
            if record.add_failure():
                log.warning(
                    "device locked out until %s after %d failed checks", iso_utc(read_clocks(self.clock).wall + record.remaining_s()), record.policy.failures
                )
            self._commit(record)

    def check_pin(self, pin: str, settings: Settings) -> None:
        """Raise ``PinRejected`` unless ``pin`` is the operator PIN guarding the lock-out."""
        from app.core.sessions.errors import PinRejected, WrongPin

        with self._lock:
            guard = self.record.pin_hash
        if not guard and is_valid_pin_hash(settings.kiosk_pin_hash):
            self.adopt_first_pin(settings)
            with self._lock:
                guard = self.record.pin_hash
        if not guard:
            raise PinRejected("no operator PIN is set; set one in the settings to allow overriding a lock-out")
        if not verify_pin(pin, guard):
            log.warning("lock-out: operator PIN refused")
            raise WrongPin("the PIN is wrong")

    def override(self, pin: str, settings: Settings) -> None:
        """End a pause (or confirm a removed/altered record) with the operator PIN."""
        self.check_pin(pin, settings)
        with self._lock:
            record, _ = self.now()
            record.until_t = 0.0
            record.reset_t = record.t
            if record.confirm:
                log.warning("lock-out: an operator confirmed the device after: %s", record.confirm)
            record.confirm = ""
            self._commit(record)

    def adopt_first_pin(self, settings: Settings) -> None:
        """Seal the settings' PIN when none is sealed yet (the first PIN needs no confirmation)."""
        pin = settings.kiosk_pin_hash
        with self._lock:
            if self.record.pin_hash or not is_valid_pin_hash(pin):
                return
            record, _ = self.now()
            record.pin_hash = pin
            self._commit(record)
            log.info("lock-out: the operator PIN now guards the lock-out settings")

    def pending(self, settings: Settings) -> list[str]:
        """Settings changes to the lock-out that wait for the operator PIN (empty: none)."""
        with self._lock:
            record = self.record
        changes = record.policy.describe_change(LockoutPolicy.from_settings(settings))
        if record.pin_hash and settings.kiosk_pin_hash != record.pin_hash:
            changes.append("operator PIN changed")
        return changes

    def confirm_settings(self, pin: str, settings: Settings) -> None:
        """Put the settings' lock-out policy and PIN in force; ``pin`` is the PIN sealed so far.

        Raises
        ------
        PinRejected
            No PIN is sealed (nor set), or ``pin`` is wrong.
        """
        from app.core.sessions.errors import PinRejected, WrongPin

        with self._lock:
            guard = self.record.pin_hash
        if not guard:
            if not is_valid_pin_hash(settings.kiosk_pin_hash):
                raise PinRejected("no operator PIN is set; set one first, then change the lock-out settings")
            guard = settings.kiosk_pin_hash
        if not verify_pin(pin, guard):
            log.warning("lock-out settings change refused: wrong PIN")
            raise WrongPin("the PIN is wrong")
        new_pin = settings.kiosk_pin_hash if is_valid_pin_hash(settings.kiosk_pin_hash) else guard
        with self._lock:
            record, _ = self.now()
            changes = record.policy.describe_change(LockoutPolicy.from_settings(settings))
            record.policy = LockoutPolicy.from_settings(settings)
            record.pin_hash = new_pin
            self._commit(record)
        log.warning("lock-out settings changed with the operator PIN: %s", ", ".join(changes) or "PIN only")
