"""Fleet delivery against real servers: a throw-away PostgreSQL cluster and moto's S3 server on 127.0.0.1.

The servers start once for this module (about 1.5 s); each test gets its own
database and bucket. Kiosks are real session stores finishing synthetic signed
results through the store's API.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.fleet import envelope
from app.core.fleet.central import IngestReport
from app.core.fleet.local_servers import PostgresCluster, S3Server, find_pg_bin, wait_for

PG_MISSING = find_pg_bin() is None


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PostgresCluster, S3Server]]:
    if PG_MISSING:
        message = "PostgreSQL server binaries missing: sudo apt-get install postgresql (scripts/setup.sh does it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PostgresCluster(tmp_path_factory.mktemp("pg"))
    s3 = S3Server()
    try:
        cluster.start()
        s3.start()
        yield cluster, s3
    finally:
        s3.stop()
        cluster.destroy()


@pytest.fixture(scope="module")
def head_office() -> Any:
    return envelope.generate_private_key()


_counter = iter(range(10_000))


class Centre:
    """One test's database and bucket, and helpers to make kiosks for them."""

    def __init__(self, cluster: PostgresCluster, s3: S3Server, head_office: Any, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.core.fleet.central import CentralStore
        from app.core.fleet.config import FleetConfig
        from app.core.fleet.objects import ObjectStore

        n = next(_counter)
        self.cluster, self.s3, self.head_office, self.root = cluster, s3, head_office, root
        self.dsn = cluster.create_database(f"fleet{n}")
        for key, value in s3.client_env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LIVEGATE_FLEET_DSN", self.dsn)
        self.bucket = f"livegate-test-{n}"
        self.base_config = FleetConfig(
            bucket=self.bucket, s3_endpoint=s3.endpoint, head_office_key=envelope.public_pem(head_office.public_key()),
            poll_s=0.05, max_backoff_s=0.4,
        )
        ObjectStore(self.base_config).ensure_bucket()
        self.central = CentralStore(self.dsn)
        self.central.migrate()
        self.kiosks: list[Any] = []

    def config(self, branch: str, device: str) -> Any:
        import dataclasses

        return dataclasses.replace(self.base_config, branch=branch, device_id=device)

    def kiosk(self, branch: str, device: str, *, clock: Any = None, retention_days: int = 30) -> tuple[Any, Any]:
        """An enrolled kiosk: (session service, sender - not started)."""
        from app.core.fleet.outbox import Outbox, Sender
        from app.core.settings import Settings
        from app.devtools.synthetic_results import make_service

        settings = Settings(lockout_enabled=False, retention_days=retention_days)
        service = make_service(self.root / f"{branch}-{device}", settings=settings, clock=clock)
        self.central.enroll(branch=branch, device_id=device, public_key_pem=service.store.signer.public_pem())
        outbox = Outbox(service.store)
        outbox.enable()
        outbox.close()
        sender = Sender(service.store, self.config(branch, device), self.dsn)
        self.kiosks.append((service, sender))
        return service, sender

    def objects(self) -> Any:
        from app.core.fleet.objects import ObjectStore

        return ObjectStore(self.base_config)

    def reconnect(self) -> None:
        from app.core.fleet.central import CentralStore

        try:
            self.central.close()
        finally:
            self.central = CentralStore(self.dsn)

    def close(self) -> None:
        for service, sender in self.kiosks:
            sender.stop()
            service.close()
        self.central.close()


@pytest.fixture
def centre(servers: tuple[PostgresCluster, S3Server], head_office: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Centre]:
    cluster, s3 = servers
    # The kiosks' stores go to memory when the machine has a tmpfs: these tests are about delivery, and
    # the store's fsyncs (tested elsewhere) would make the 500 finished checks cost most of the time.
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="livegate-fleet-", dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    c = Centre(cluster, s3, head_office, root, monkeypatch)
    try:
        yield c
    finally:
        c.close()
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)


def finish_sessions(service: Any, count: int, *, seed: int = 0, audit: int = 1) -> list[str]:
    """``count`` finished sessions with signed results (small images keep the test quick)."""
    from app.devtools.synthetic_results import synthetic_result

    ids = []
    for i in range(count):
        session = service.create()
        service.start(session.id)
        decision = "pass" if (seed + i) % 3 else "fail"
        service.complete(session.id, synthetic_result(session.id, decision=decision, audit=audit, width=64, height=48, seed=seed + i))
        ids.append(session.id)
    return ids


# --- envelope ----------------------------------------------------------------------------


def test_envelope_opens_only_with_head_office_key_and_only_at_its_key() -> None:
    from app.core.store.crypto import IntegrityError

    head, other = envelope.generate_private_key(), envelope.generate_private_key()
    data = os.urandom(3000)
    blob = envelope.seal(data, head.public_key(), object_key="b/d/2026/12/04/s/reference.lgx")
    assert data not in blob
    assert envelope.open_sealed_object(blob, head, object_key="b/d/2026/12/04/s/reference.lgx") == data
    with pytest.raises(IntegrityError, match="not for this private key"):
        envelope.open_sealed_object(blob, other, object_key="b/d/2026/12/04/s/reference.lgx")
    with pytest.raises(IntegrityError, match="altered or moved"):  # copied to another session's key
        envelope.open_sealed_object(blob, head, object_key="b/d/2026/12/04/t/reference.lgx")
    flipped = bytearray(blob)
    flipped[-5] ^= 1
    with pytest.raises(IntegrityError):
        envelope.open_sealed_object(bytes(flipped), head, object_key="b/d/2026/12/04/s/reference.lgx")
    # A fresh data key per object: the same image sealed twice shares nothing.
    again = envelope.seal(data, head.public_key(), object_key="b/d/2026/12/04/s/reference.lgx")
    assert again[36:128] != blob[36:128] and again[128:] != blob[128:]
    pem = envelope.private_pem(head, b"correct horse")
    assert envelope.load_private(pem, b"correct horse").public_key().public_bytes_raw() == head.public_key().public_bytes_raw()
    with pytest.raises(ValueError):
        envelope.load_private(pem, b"wrong")


# --- schema ------------------------------------------------------------------------------


def test_migrate_is_idempotent_and_partitions_by_month(centre: Centre) -> None:
    assert centre.central.migrate() == []
    assert centre.central.schema_version() == 1
    with centre.central.conn.transaction():
        parts = {r[0] for r in centre.central.conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname IN ('sessions', 'audit_events')").fetchall()}
    month = time.strftime("y%Ym%m", time.gmtime())
    assert f"sessions_{month}" in parts and f"audit_events_{month}" in parts
    # A result from another month lands in a partition created on demand.
    with centre.central.conn.transaction():
        centre.central.conn.execute("SELECT livegate_month_partition('sessions', '2031-02-10T10:00:00Z')")
        assert centre.central.conn.execute("SELECT to_regclass('sessions_y2031m02')").fetchone()[0] is not None


# --- the whole road: counter to centre ------------------------------------------------------


def test_ten_kiosks_fifty_sessions_each_concurrently_nothing_lost_or_duplicated(centre: Centre) -> None:
    kiosks = [centre.kiosk(f"branch{k % 4}", f"kiosk{k:02d}") for k in range(10)]
    expected: set[str] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def counter(index: int) -> None:
        service, sender = kiosks[index]
        try:
            ids = finish_sessions(service, 50, seed=index * 100)
            with lock:
                expected.update(ids)
        except BaseException as exc:  # reported below
            errors.append(exc)

    for _, sender in kiosks:
        sender.start()  # senders push while the counters are still finishing sessions
    threads = [threading.Thread(target=counter, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    from app.core.fleet.central import CentralStore

    ingested: list[IngestReport] = []
    second = CentralStore(centre.dsn)

    def second_worker() -> None:  # a second ingest worker shares the inbox (SKIP LOCKED)
        while any(t.is_alive() for t in threads):
            ingested.append(second.ingest(batch=20))
            time.sleep(0.03)

    worker = threading.Thread(target=second_worker)
    worker.start()
    while any(t.is_alive() for t in threads):  # head office ingests concurrently, too
        ingested.append(centre.central.ingest(batch=20))
        time.sleep(0.05)
    for t in threads:
        t.join()
    worker.join()
    second.close()
    assert not errors
    assert wait_for(lambda: all(s.outbox.pending() == 0 for _, s in kiosks), 60), [s.outbox.status() for _, s in kiosks]
    ingested.append(centre.central.ingest_all())
    assert sum(r.refused for r in ingested) == 0 and sum(r.accepted for r in ingested) == 500
    # Deliver one kiosk's sessions once more (what `fleet push --all` does): only duplicates.
    _, again = kiosks[3]
    assert again.outbox.enqueue_all() == 50
    assert wait_for(lambda: again.outbox.pending() == 0, 30)
    assert centre.central.ingest_all() == IngestReport(accepted=0, duplicates=50, refused=0, purged=0)
    with centre.central.conn.transaction():
        rows = centre.central.conn.execute("SELECT session_id, device_id, objects FROM sessions").fetchall()
    assert len(rows) == 500
    assert {r[0] for r in rows} == expected
    assert all(len(r[2]) == 2 for r in rows)
    assert len(centre.objects().keys()) == 1000
    listed = centre.central.sessions(branch="branch1", limit=1000)
    assert len(listed) == 150 and {r["device_id"] for r in listed} == {"kiosk01", "kiosk05", "kiosk09"}
    assert centre.central.counts()["inbox"] == 0


def test_database_stopped_mid_push_and_restarted(centre: Centre) -> None:
    service, sender = centre.kiosk("north", "k1")
    ids = finish_sessions(service, 30)
    sender.start()
    assert wait_for(lambda: sender.outbox.pending() < 26, 20)
    centre.cluster.stop("immediate")  # like a crash: clients are cut off
    try:
        assert wait_for(lambda: (sender.outbox.status().last_error or "").find("database") >= 0, 15)
        more = finish_sessions(service, 5, seed=50)  # checks go on while the centre is away
        time.sleep(0.3)
        assert sender.outbox.pending() > 0
    finally:
        centre.cluster.start()
    assert wait_for(lambda: sender.outbox.pending() == 0, 30), sender.outbox.status()
    centre.reconnect()
    centre.central.ingest_all()
    got = [r["session_id"] for r in centre.central.sessions(limit=1000)]
    assert sorted(got) == sorted(ids + more)


def test_bucket_unreachable_for_a_while(centre: Centre) -> None:
    service, sender = centre.kiosk("south", "k2")
    centre.s3.stop()
    try:
        ids = finish_sessions(service, 6)
        delivered, error = sender.run_once()
        assert delivered == 0 and error is not None and "bucket" in error
        status = sender.outbox.status()
        assert status.pending == 6 and "bucket" in (status.last_error or "")
        assert centre.central.counts()["inbox"] == 0  # no result reaches the centre without its images
    finally:
        centre.s3.start()
    sender.outbox.revive()
    assert sender.push_all() == (6, None)
    centre.central.ingest_all()
    assert {r["session_id"] for r in centre.central.sessions()} == set(ids)


SENDER_SCRIPT = """
import sys, json, dataclasses
from pathlib import Path
from app.core.fleet.config import FleetConfig
from app.core.fleet.outbox import Sender
from app.core.store.crypto import KeyStore
from app.core.store.db import SessionStore

root = Path(sys.argv[1])
config = FleetConfig(**json.loads(sys.argv[2]))
store = SessionStore(root / "sessions", keys=KeyStore(root / "keys", backend="file"), owner=False)
sender = Sender(store, config, sys.argv[3])
print("ready", flush=True)
sender.push_all()
print("finished", flush=True)
"""


def test_kill_9_of_the_sender_mid_upload_then_resume(centre: Centre) -> None:
    import dataclasses

    service, sender = centre.kiosk("east", "k3")
    ids = finish_sessions(service, 24, audit=2)
    root = service.store.root.parent
    config = dataclasses.asdict(centre.config("east", "k3"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", SENDER_SCRIPT, str(root), json.dumps(config), centre.dsn],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        uploads = lambda: len(centre.objects().keys())  # noqa: E731
        assert wait_for(lambda: uploads() >= 10, 30)  # some sessions fully sent, one likely half-way
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        stderr = proc.stderr.read() if proc.stderr else ""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL, stderr
    left = sender.outbox.pending()
    assert 0 < left < 24
    assert sender.push_all()[1] is None and sender.outbox.pending() == 0
    centre.central.ingest_all()
    with centre.central.conn.transaction():
        rows = centre.central.conn.execute("SELECT session_id FROM sessions").fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert len(centre.objects().keys()) == 24 * 3  # re-uploads overwrote, nothing doubled


# --- verification at the centre --------------------------------------------------------------


def test_tampered_unsigned_and_foreign_results_are_refused_and_logged(centre: Centre) -> None:
    from app.core.store.signing import ResultSigner, canonical_json

    service, sender = centre.kiosk("west", "k4")
    (sid,) = finish_sessions(service, 1, seed=1)  # decision: pass
    document = service.get(sid).result
    assert document["Decision"] == "pass"
    tampered = dict(document, Decision="fail", SessionId=sid)
    unsigned = {k: v for k, v in document.items() if k != "Signature"}
    foreign = ResultSigner(os.urandom(32)).sign(unsigned)
    for text in (canonical_json(tampered), canonical_json(unsigned), canonical_json(foreign)):
        assert centre.central.deliver(kind="session", session_id=sid, document_text=text, device_id="k4", branch="west", objects=[])
    assert centre.central.deliver(kind="session", session_id=sid, document_text=canonical_json(document),
                                  device_id="k4", branch="other-branch", objects=[])
    report = centre.central.ingest_all()
    assert report.refused == 4 and report.accepted == 0
    reasons = [e["detail"]["reason"] for e in centre.central.audit_events(kind="refused")]
    assert any("altered" in r for r in reasons)
    assert any("no Signature" in r for r in reasons)
    assert any("not a trusted key" in r for r in reasons)
    assert any("branch" in r for r in reasons)
    assert centre.central.sessions() == []
    # The genuine result still goes through afterwards.
    assert sender.push_all() == (1, None)
    assert centre.central.ingest_all().accepted == 1
    row = centre.central.session(sid)
    assert row is not None and row["decision"] == "pass" and row["document"]["Signature"]["KeyId"] == service.store.signer.key_id
    # A different (re-signed) result for an accepted session is refused too.
    other = service.store.signer.sign(dict(unsigned, Confidence=99.0))
    centre.central.deliver(kind="session", session_id=sid, document_text=canonical_json(other), device_id="k4", branch="west", objects=[])
    assert centre.central.ingest_all().refused == 1
    assert centre.central.session(sid)["confidence"] == document["Confidence"]


def test_locally_altered_result_is_never_sent(centre: Centre) -> None:
    service, sender = centre.kiosk("west", "k5")
    good, bad = finish_sessions(service, 2, seed=1)
    db = sqlite3.connect(service.store.root / "sessions.sqlite3")
    # The result is sealed at rest: alter one byte of its ciphertext, as an edit of the file would.
    sealed = bytearray(db.execute("SELECT result FROM sessions WHERE id = ?", (bad,)).fetchone()[0])
    sealed[len(sealed) // 2] ^= 0x01
    db.execute("UPDATE sessions SET result = ? WHERE id = ?", (bytes(sealed), bad))
    db.commit()
    db.close()
    assert sender.push_all() == (1, None)
    status = sender.outbox.status()
    assert status.pending == 0 and status.dead == 1 and "authenticity check" in (status.last_error or "")
    centre.central.ingest_all()
    assert [r["session_id"] for r in centre.central.sessions()] == [good]


def test_purge_reaches_the_centre_and_the_bucket(centre: Centre) -> None:
    from app.core.sessions.clock import ManualClock

    clock = ManualClock()  # 2025-01-01: the results land in a month partition made on demand
    service, sender = centre.kiosk("north", "k6", clock=clock, retention_days=30)
    from app.core.store.signing import canonical_json

    ids = finish_sessions(service, 3, seed=4)
    first_text = canonical_json(service.get(ids[1]).result)
    assert sender.push_all() == (3, None)
    centre.central.ingest_all()
    keys = centre.objects().keys()
    assert len(keys) == 6 and all(k.startswith("north/k6/2025/01/01/") for k in keys)
    service.delete(ids[0])  # an operator's delete now
    clock.advance(31 * 86400)
    service.maintain(force_purge=True)  # the retention purge a month later
    assert service.list() == []
    assert sender.outbox.status().pending == 3
    assert sender.push_all() == (3, None)
    assert centre.central.ingest_all() == IngestReport(purged=3)
    assert centre.objects().keys() == []
    for sid in ids:
        row = centre.central.session(sid)
        assert row is not None and row["purged_at"] is not None and row["document"] is None and row["objects"] == []
        assert row["finished_at"].year == 2025 and row["status"] in ("SUCCEEDED", "FAILED")
    assert {e["session_id"] for e in centre.central.audit_events(kind="purged")} == set(ids)
    # A late repeat of a purged session's delivery does not bring its content back.
    centre.central.deliver(kind="session", session_id=ids[1], document_text=first_text, device_id="k6", branch="north", objects=[])
    assert centre.central.ingest_all() == IngestReport(duplicates=1)
    assert centre.central.session(ids[1])["document"] is None


# --- commands -----------------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_commands_from_enrolment_to_a_decrypted_image(centre: Centre, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.sessions.service import SessionService
    from app.core.settings import Settings

    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    monkeypatch.setenv("LIVEGATE_FLEET_BUCKET", centre.bucket)
    monkeypatch.setenv("LIVEGATE_FLEET_S3_ENDPOINT", centre.s3.endpoint)
    key = tmp_path / "head-office.pem"
    code, out, _ = run_cli("fleet", "keygen", "--out", str(key))
    assert code == 0 and key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert run_cli("fleet", "migrate")[0] == 0

    # Sessions finished before enrolment are sent by `push --all` only.
    with SessionService.open(settings=Settings(lockout_enabled=False)) as service:
        service.subscribe(lambda event: None, kiosk=True)
        early = finish_sessions(service, 1)
    code, out, err = run_cli("fleet", "enroll", "--branch", "hq", "--device", "desk-1", "--head-office-key", str(key.with_suffix(".pub.pem")))
    assert code == 0, err
    saved = json.loads(Path(os.environ["LIVEGATE_CONFIG_DIR"], "fleet.json").read_text())
    assert saved["branch"] == "hq" and centre.cluster.password not in json.dumps(saved)
    monkeypatch.setenv("LIVEGATE_FLEET_SENDER", "off")
    with SessionService.open(settings=Settings(lockout_enabled=False)) as service:
        service.subscribe(lambda event: None, kiosk=True)
        (sid,) = finish_sessions(service, 1, seed=2)
    code, out, _ = run_cli("fleet", "status", "--json")
    assert code == 0 and json.loads(out)["pending"] == 1 and json.loads(out)["last_success"] is None
    code, out, _ = run_cli("fleet", "push")
    assert code == 0 and "delivered 1" in out
    # The app's own store owner (GUI, API) sends in the background as sessions finish.
    monkeypatch.delenv("LIVEGATE_FLEET_SENDER")
    with SessionService.open(settings=Settings(lockout_enabled=False)) as service:
        service.subscribe(lambda event: None, kiosk=True)
        assert service._fleet_sender is not None
        (live,) = finish_sessions(service, 1, seed=3)
        assert wait_for(lambda: service._fleet_sender.outbox.pending() == 0, 15)
    code, out, _ = run_cli("fleet", "status")
    assert code == 0 and "pending: 0" in out and "delivered" in out
    code, out, _ = run_cli("fleet", "push", "--all")
    assert code == 0 and "queued 3" in out
    code, out, _ = run_cli("fleet", "ingest")
    assert code == 0 and "accepted 3, duplicates 0, refused 0" in out  # repeats already met in the inbox
    code, out, _ = run_cli("fleet", "sessions", "list", "--branch", "hq", "--since", "2020-01-01")
    assert code == 0 and {sid, live, early[0]} <= set(out.split()) and "signature verified" in out and "3 session(s)" in out
    assert run_cli("fleet", "sessions", "list", "--status", "FAILED", "--branch", "nowhere")[1].strip() == "0 session(s)"
    code, out, _ = run_cli("fleet", "sessions", "show", sid)
    assert code == 0 and json.loads(out)["document"]["SessionId"] == sid

    image = tmp_path / "reference.jpg"
    code, out, err = run_cli("fleet", "fetch", sid, "reference", "--key", str(key), "--out", str(image))
    assert code == 0, err
    assert image.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    with SessionService.open(owner=False) as service:
        assert image.read_bytes() == service.image(sid, "reference")
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(envelope.private_pem(envelope.generate_private_key()))
    code, _, err = run_cli("fleet", "fetch", sid, "reference", "--key", str(stranger), "--out", str(tmp_path / "x.jpg"))
    assert code == 1 and "not for this private key" in err and not (tmp_path / "x.jpg").exists()
    code, _, err = run_cli("fleet", "fetch", sid, "reference", "--key", str(tmp_path / "missing.pem"), "--out", str(tmp_path / "y"))
    assert code == 2 and err.startswith("livegate: --key")
    # A revoked device's deliveries are refused and logged.
    code, out, _ = run_cli("fleet", "revoke", "desk-1")
    assert code == 0 and "revoked" in out
    assert run_cli("fleet", "revoke", "desk-9")[0] == 2
    with SessionService.open(settings=Settings(lockout_enabled=False)) as service:
        service.subscribe(lambda event: None, kiosk=True)
        (late,) = finish_sessions(service, 1, seed=5)
        assert wait_for(lambda: service._fleet_sender.outbox.pending() == 0, 15)
    code, out, _ = run_cli("fleet", "ingest")
    assert code == 0 and "accepted 0" in out and "refused 1" in out
    assert centre.central.audit_events(kind="refused", session_id=late)[0]["detail"]["reason"] == "the device was revoked"
    # TLS settings reach libpq: this test server has no TLS, so requiring it fails, in one line.
    monkeypatch.setenv("LIVEGATE_FLEET_SSLMODE", "require")
    code, _, err = run_cli("fleet", "sessions", "list")
    assert code == 3 and "SSL" in err and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("LIVEGATE_FLEET_SSLMODE")
    # A dead database is one line, exit 3, and never shows the password.
    monkeypatch.setenv("LIVEGATE_FLEET_DSN", centre.dsn.replace(f"port={centre.cluster.port}", "port=1"))
    code, _, err = run_cli("fleet", "sessions", "list")
    assert code == 3 and centre.cluster.password not in err and len(err.strip().splitlines()) == 1


def test_bad_fleet_settings_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = Path(os.environ["LIVEGATE_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "fleet.json").write_text(json.dumps({"dsn": "host=x password=secret"}))
    code, _, err = run_cli("fleet", "status")
    assert code == 2 and "unknown setting(s) dsn" in err and "secret" not in err.replace("secrets", "")
    (config_dir / "fleet.json").write_text(json.dumps({"branch": "a b"}))
    assert run_cli("fleet", "status")[0] == 2
    (config_dir / "fleet.json").unlink()
    monkeypatch.delenv("LIVEGATE_FLEET_DSN", raising=False)
    code, _, err = run_cli("fleet", "migrate")
    assert code == 2 and "LIVEGATE_FLEET_DSN" in err


# --- local pieces (no servers) ----------------------------------------------------------------


def test_outbox_is_filled_by_the_store_only_after_enrolment(tmp_path: Path) -> None:
    from app.core.fleet.outbox import Outbox
    from app.core.settings import Settings
    from app.devtools.synthetic_results import make_service

    service = make_service(tmp_path, settings=Settings(lockout_enabled=False))
    outbox = Outbox(service.store)
    try:
        before = finish_sessions(service, 2)
        assert outbox.status().pending == 0 and not outbox.enabled()
        service.error(service.create().id, "camera lost")  # no signed result: nothing to deliver
        outbox.enable()
        (after,) = finish_sessions(service, 1, seed=7)
        rows = outbox.due(time.time())
        assert [(r.kind, r.session_id) for r in rows] == [("session", after)]
        service.delete(after)  # the queued delivery becomes a deletion notice
        service.delete(before[0])
        rows = outbox.due(time.time())
        assert [(r.kind, r.session_id) for r in rows] == [("delete", after), ("delete", before[0])]
        assert all(r.finished_at is not None for r in rows)
        assert outbox.enqueue_all() == 1  # `push --all`: the one remaining earlier session
    finally:
        outbox.close()
        service.close()


def test_secrets_stay_out_of_fleet_json_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from app.core.fleet import config as fleet_config

    monkeypatch.setattr(fleet_config, "_keyring", lambda: None)  # never touch a developer's real keyring
    monkeypatch.delenv("LIVEGATE_FLEET_DSN", raising=False)
    dsn = "host=db.example port=5433 dbname=hq user=kiosk password=s3cr3t-pw sslmode=verify-full"
    monkeypatch.setattr("sys.stdin", io.StringIO(dsn + "\n"))
    code, out, _ = run_cli("fleet", "secret", "set", "dsn")
    assert code == 0 and "s3cr3t" not in out
    stored = Path(os.environ["LIVEGATE_DATA_DIR"]) / "keys" / "fleet-dsn.secret"
    assert stored.exists() and oct(stored.stat().st_mode & 0o777) == "0o600"
    assert fleet_config.get_secret("dsn") == dsn
    monkeypatch.setenv("LIVEGATE_FLEET_DSN", "host=other")
    assert fleet_config.get_secret("dsn") == "host=other"  # the environment wins
    assert fleet_config.redact_dsn(dsn) == "host=db.example port=5433 dbname=hq user=kiosk"
    assert "s3cr3t" not in fleet_config.redact_dsn("postgresql://kiosk:s3cr3t-pw@db.example/hq")
