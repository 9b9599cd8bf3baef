-- The outbox of GRC deliveries (G3): one row per (sync destination, compliance
-- artifact), written in the transaction that appends the certification the
-- artifact is built from, so a crash cannot lose one. Operational state, not
-- evidence: the delivery engine updates a row in place as it attempts, delivers,
-- fails or is requeued by reconciliation; the artifact itself (`artifact`, JSON)
-- never changes. Times are Unix nanoseconds (UTC), so "due" is one comparison.
CREATE TABLE sync_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination     TEXT NOT NULL,
    artifact_id     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    artifact        TEXT NOT NULL,
    certificate_seq BIGINT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    remote_id       TEXT,
    delivered_at    BIGINT,
    last_error      TEXT,
    failing_since   BIGINT,
    next_attempt_at BIGINT,
    UNIQUE (destination, artifact_id)
);
CREATE INDEX sync_deliveries_due ON sync_deliveries (destination, state, next_attempt_at, id);
