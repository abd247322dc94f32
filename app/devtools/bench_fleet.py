"""``livegate bench --only fleet``: push throughput into PostgreSQL + S3, and outbox recovery after outages.

Starts a throw-away PostgreSQL cluster and moto's S3 server on 127.0.0.1 (as
the tests do), so the numbers include real network round trips on loopback but
no WAN latency. Sessions are synthetic signed results with the default image
sizes (a 320x240 reference and four audit images, JPEG, as a check stores them).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from app.devtools.bench import register


def _finish(service: Any, count: int, seed: int) -> list[str]:
    from app.devtools.synthetic_results import synthetic_result

    ids = []
    for i in range(count):
        s = service.create()
        service.start(s.id)
        service.complete(s.id, synthetic_result(s.id, seed=seed + i))
        ids.append(s.id)
    return ids


def _drain(senders: list[Any], timeout: float) -> float:
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if all(s.outbox.pending() == 0 for s in senders):
            return time.perf_counter() - t0
        time.sleep(0.01)
    raise RuntimeError("the outbox did not drain in time")


def bench_fleet(frames: int) -> dict[str, Any]:
    """Throughput and recovery numbers (``frames`` scales the session count: frames/3 per kiosk, at least 20)."""
    from app.core.fleet import envelope
    from app.core.fleet.central import CentralStore
    from app.core.fleet.config import FleetConfig
    from app.core.fleet.local_servers import find_pg_bin, local_servers
    from app.core.fleet.objects import ObjectStore
    from app.core.fleet.outbox import Outbox, Sender
    from app.core.settings import Settings
    from app.devtools.synthetic_results import make_service

    if find_pg_bin() is None:
        return {"skipped": "PostgreSQL server binaries missing (sudo apt-get install postgresql)"}
    try:
        import moto  # noqa: F401
    except ImportError:
        return {"skipped": "moto is not installed (the test extra)"}
    import logging

    # The outages below are on purpose; their retry warnings would drown the numbers.
    logging.getLogger("app.core.fleet.outbox").setLevel(logging.ERROR)
    per_kiosk = max(20, frames // 3)
    kiosk_count = 4
    head = envelope.generate_private_key()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="livegate-fleet-bench-") as tmp, local_servers() as (pg, s3):
        old_env = {k: os.environ.get(k) for k in s3.client_env()}
        os.environ.update(s3.client_env())
        try:
            dsn = pg.create_database("fleet")
            base = FleetConfig(bucket="livegate-bench", s3_endpoint=s3.endpoint, head_office_key=envelope.public_pem(head.public_key()),
                               poll_s=0.05, max_backoff_s=2.0)
            ObjectStore(base).ensure_bucket()
            central = CentralStore(dsn)
            central.migrate()
            kiosks = []
            for k in range(kiosk_count):
                service = make_service(Path(tmp) / f"k{k}", settings=Settings(lockout_enabled=False))
                central.enroll(branch=f"b{k % 2}", device_id=f"k{k}", public_key_pem=service.store.signer.public_pem())
                ob = Outbox(service.store)
                ob.enable()
                ob.close()
                kiosks.append((service, Sender(service.store, dataclasses.replace(base, branch=f"b{k % 2}", device_id=f"k{k}"), dsn)))

            # 1. Queued sessions, then every kiosk's sender at once.
            t0 = time.perf_counter()
            for k, (service, _) in enumerate(kiosks):
                _finish(service, per_kiosk, seed=k * 1000)
            finish_s = time.perf_counter() - t0
            total = per_kiosk * kiosk_count
            for _, sender in kiosks:
                sender.start()
            push_s = _drain([s for _, s in kiosks], 600)
            t0 = time.perf_counter()
            report = central.ingest_all()
            ingest_s = time.perf_counter() - t0
            out["sessions"] = f"{total} ({kiosk_count} kiosks x {per_kiosk})"
            out["local_finish_ms_per_session"] = round(finish_s / total * 1000, 1)
            out["push_sessions_per_s"] = round(total / push_s, 1)
            out["ingest_verify_sessions_per_s"] = round(report.accepted / ingest_s, 1)

            # Sizes per check.
            keys = ObjectStore(base).keys()
            sizes = [len(ObjectStore(base).get(k)) for k in keys[:50]]
            with central.conn.transaction():
                db_bytes = central.conn.execute(
                    # Leaf tables only: pg_total_relation_size already adds their indexes and TOAST.
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relkind = 'r' AND "
                    "(c.relname LIKE 'sessions%%' OR c.relname = 'session_keys')"
                ).fetchone()[0]
            out["objects_per_session"] = round(len(keys) / total, 2)
            out["object_kb_mean"] = round(sum(sizes) / len(sizes) / 1024, 1)
            out["db_kb_per_session"] = round(int(db_bytes) / total / 1024, 2)

            # 2. Database outage: sessions keep finishing; time from restart to an empty outbox.
            service, sender = kiosks[0]
            pg.stop("immediate")
            _finish(service, 20, seed=50_000)
            time.sleep(3.0)
            t0 = time.perf_counter()
            pg.start()
            out["db_outage_recovery_s (20 queued, back-off cap 2 s)"] = round(_drain([sender], 120), 2)
            # 3. Bucket outage, the same.
            s3.stop()
            _finish(service, 20, seed=60_000)
            time.sleep(3.0)
            s3.start()
            out["bucket_outage_recovery_s (20 queued, back-off cap 2 s)"] = round(_drain([sender], 120), 2)

            for service, sender in kiosks:
                sender.stop()
                service.close()
            central.close()
        finally:
            for k, v in old_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return out


register("fleet", bench_fleet)
