-- The outbox of GRC deliveries (G3): one row per (sync destination, compliance
-- artifact), written in the transaction that appends the certification the
-- artifact is built from, so a crash cannot lose one. Operational state, not
-- evidence: the delivery engine updates a row in place as it attempts, delivers,
-- fails or is requeued by reconciliation; the artifact itself (`artifact`, JSON)
-- never changes. Times are Unix nanoseconds (UTC), so "due" is one comparison.
CREATE TABLE sync_deliveries (
    id              INTEGER PRIMARY KEY NOT NULL,
    destination     TEXT NOT NULL,
    artifact_id     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    artifact        TEXT NOT NULL,
    certificate_seq INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    remote_id       TEXT,
    delivered_at    INTEGER,
    last_error      TEXT,
    failing_since   INTEGER,
    next_attempt_at INTEGER,
    UNIQUE (destination, artifact_id)
) STRICT;
CREATE INDEX sync_deliveries_due ON sync_deliveries (destination, state, next_attempt_at, id);
