-- Livegate central store, schema 1: devices, the inbox, sessions and audit events.
-- Applied once, in a transaction, by `livegate fleet migrate`; never edit a released file, add a new one.

-- Kiosks allowed to deliver results, each with the Ed25519 public key that signs them.
CREATE TABLE devices (
    device_id      text PRIMARY KEY CHECK (device_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    branch         text NOT NULL CHECK (branch ~ '^[A-Za-z0-9._-]{1,64}$'),
    key_id         text NOT NULL UNIQUE,
    public_key_pem text NOT NULL,
    enrolled_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

-- What kiosks deliver, not yet verified. A kiosk's database role needs only INSERT here
-- (and SELECT/INSERT on nothing else): `livegate fleet ingest` at head office checks every
-- signature against the registered key and moves the row on, or refuses it.
CREATE TABLE inbox (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('session', 'delete')),
    session_id  text NOT NULL,
    result_hash text NOT NULL,
    device_id   text NOT NULL,
    branch      text NOT NULL,
    document    text NOT NULL,          -- canonical JSON, signed (a result, or a signed delete notice)
    objects     jsonb NOT NULL DEFAULT '[]'::jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- At-least-once delivery: the same thing delivered twice is one row.
    UNIQUE (kind, session_id, result_hash)
);

-- One row per session ever accepted, across all partitions: the global idempotency key
-- (a partitioned table cannot have a unique index without the partition column).
CREATE TABLE session_keys (
    session_id  text PRIMARY KEY,
    result_hash text NOT NULL,
    device_id   text NOT NULL REFERENCES devices (device_id),
    finished_at timestamptz NOT NULL
);

-- Verified results, one partition per month of the check's end.
CREATE TABLE sessions (
    session_id   text NOT NULL,
    finished_at  timestamptz NOT NULL,
    created_at   timestamptz,
    device_id    text NOT NULL REFERENCES devices (device_id),
    branch       text NOT NULL,
    status       text NOT NULL,
    decision     text,
    confidence   double precision,
    customer_ref text,
    operator_ref text,
    versions     jsonb NOT NULL DEFAULT '{}'::jsonb,
    document     jsonb,                 -- the signed result (NULL once purged)
    result_hash  text NOT NULL,
    key_id       text NOT NULL,
    objects      jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{role, key, size, sha256}] in the bucket
    received_at  timestamptz NOT NULL,
    verified_at  timestamptz NOT NULL DEFAULT now(),
    purged_at    timestamptz,
    PRIMARY KEY (session_id, finished_at)
) PARTITION BY RANGE (finished_at);
CREATE INDEX sessions_branch_time ON sessions (branch, finished_at);
CREATE INDEX sessions_status_time ON sessions (status, finished_at);
CREATE INDEX sessions_device_time ON sessions (device_id, finished_at);

-- Who did what: enrolments, refused deliveries, purges. Never images or biometric values.
CREATE TABLE audit_events (
    id         bigserial,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text NOT NULL,
    device_id  text,
    branch     text,
    session_id text,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX audit_events_kind_time ON audit_events (kind, at);
CREATE INDEX audit_events_session ON audit_events (session_id);

-- The month partition of `parent` holding `ts`, created when missing. Concurrent callers
-- serialise on an advisory lock, so two ingest workers never race to create the same one.
CREATE FUNCTION livegate_month_partition(parent text, ts timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    start_at timestamptz := date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name text := format('%s_y%sm%s', parent, to_char(start_at AT TIME ZONE 'UTC', 'YYYY'), to_char(start_at AT TIME ZONE 'UTC', 'MM'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('livegate_month_partition'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           name, parent, start_at, start_at + interval '1 month');
        END IF;
    END IF;
    RETURN name;
END;
$$;

SELECT livegate_month_partition('sessions', now());
SELECT livegate_month_partition('sessions', now() + interval '1 month');
SELECT livegate_month_partition('audit_events', now());
SELECT livegate_month_partition('audit_events', now() + interval '1 month');
