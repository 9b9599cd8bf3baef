-- Access tokens of the server (R5). Access configuration, not evidence: a row's
-- `revoked_at` and `last_used_at` change in place. What matters for the audit
-- trail (a token issued, revoked, an agent refused) is a ledger entry too.
-- The secret is never stored: `hash` is SHA-256 of the whole token string.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL,
    scopes       TEXT NOT NULL,
    projects     TEXT NOT NULL,
    actor_kind   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT,
    predecessor  TEXT
) STRICT;
CREATE INDEX tokens_by_name ON tokens (name);
