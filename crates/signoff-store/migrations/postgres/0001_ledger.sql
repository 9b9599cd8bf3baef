-- The ledger and everything derived from it (PostgreSQL; the same tables and
-- columns as migrations/sqlite/0001_ledger.sql).
--
-- Invariant: no row in these tables is ever updated or deleted. The triggers below
-- make PostgreSQL refuse it; `signoff ledger verify` detects it if someone drops them.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE ledger_entries (
    seq        BIGINT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    body       BYTEA NOT NULL,
    entry_hash BYTEA NOT NULL,
    leaf_hash  BYTEA NOT NULL
);

CREATE TABLE checkpoints (
    size     BIGINT PRIMARY KEY NOT NULL,
    root     BYTEA NOT NULL,
    note     TEXT NOT NULL,
    frontier BYTEA NOT NULL
);

CREATE TABLE evidence (
    seq             BIGINT PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    id              TEXT NOT NULL UNIQUE,
    project         TEXT NOT NULL,
    commit_sha      TEXT,
    release_version TEXT,
    kind            TEXT NOT NULL,
    format          TEXT NOT NULL,
    tool_name       TEXT NOT NULL,
    tool_version    TEXT,
    file_name       TEXT NOT NULL,
    digest          BYTEA NOT NULL,
    size            BIGINT NOT NULL,
    original_digest BYTEA,
    redacted        BIGINT NOT NULL,
    summary         TEXT NOT NULL,
    findings_count  BIGINT NOT NULL,
    findings_digest BYTEA NOT NULL,
    context         TEXT NOT NULL,
    produced_at     TEXT,
    captured_at     TEXT NOT NULL
);
CREATE INDEX evidence_by_commit ON evidence (project, commit_sha);
CREATE INDEX evidence_by_release ON evidence (project, release_version);
CREATE INDEX evidence_by_digest ON evidence (digest);

CREATE TABLE findings (
    evidence_seq    BIGINT NOT NULL,
    ordinal         BIGINT NOT NULL,
    fingerprint     BYTEA NOT NULL,
    rule_id         TEXT NOT NULL,
    severity        BIGINT NOT NULL,
    title           TEXT NOT NULL,
    path            TEXT,
    start_line      BIGINT,
    end_line        BIGINT,
    cve             TEXT,
    cwe             TEXT,
    package         TEXT,
    package_version TEXT,
    suppressed      BIGINT NOT NULL,
    PRIMARY KEY (evidence_seq, ordinal)
);
CREATE INDEX findings_by_fingerprint ON findings (fingerprint);

CREATE TABLE releases (
    seq          BIGINT PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    id           TEXT NOT NULL UNIQUE,
    project      TEXT NOT NULL,
    version      TEXT NOT NULL,
    commit_sha   TEXT NOT NULL,
    artifacts    TEXT NOT NULL,
    previous     TEXT,
    actor        TEXT,
    context      TEXT NOT NULL,
    changes      TEXT NOT NULL,
    changes_note TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (project, version)
);

CREATE TABLE records (
    seq     BIGINT PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    project TEXT,
    version TEXT,
    record  TEXT NOT NULL
);
CREATE INDEX records_by_release ON records (kind, project, version);
CREATE INDEX records_by_id ON records (kind, id);

CREATE FUNCTION signoff_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER findings_append_only BEFORE UPDATE OR DELETE ON findings FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER releases_append_only BEFORE UPDATE OR DELETE ON releases FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records FOR EACH ROW EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence FOR EACH STATEMENT EXECUTE FUNCTION signoff_append_only();
CREATE TRIGGER findings_no_truncate BEFORE TRUNCATE ON findings FOR EACH STATEMENT EXECUTE FUNCTION signoff_append_only();
