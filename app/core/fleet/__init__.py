"""Many counters, one record: results to a central PostgreSQL, images to S3-compatible storage.

* ``config``    fleet.json settings and secrets (DSN, bucket keys) from the environment or keyring
* ``envelope``  per-object data keys wrapped for head office's X25519 key
* ``objects``   the bucket, through boto3
* ``central``   the PostgreSQL schema, deliveries, verification (ingest) and queries
* ``outbox``    the local outbox and the sender thread
* ``cli``       ``livegate fleet ...``

See docs/fleet.md.
"""
