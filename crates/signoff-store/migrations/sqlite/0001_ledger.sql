-- The ledger and everything derived from it.
--
-- Invariant: no row in these tables is ever updated or deleted. The triggers below
-- make SQLite refuse it; `signoff ledger verify` detects it if someone drops them.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- One row per ledger entry. `body` holds the entry's canonical bytes (RFC 8785),
-- exactly as hashed; `entry_hash` is SHA-256(body) and `leaf_hash` the RFC 6962
-- leaf hash SHA-256(0x00 || body), kept so proofs need not re-hash every body.
CREATE TABLE ledger_entries (
    seq        INTEGER PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    body       BLOB NOT NULL,
    entry_hash BLOB NOT NULL,
    leaf_hash  BLOB NOT NULL
) STRICT;

-- A signed checkpoint after each write batch: the tree of the first `size` entries
-- has root `root`; `note` is the C2SP signed note; `frontier` holds the roots of
-- the tree's perfect subtrees (largest first), so the next root is computed without
-- reading every leaf. `ledger verify` recomputes rather than trusts it.
CREATE TABLE checkpoints (
    size     INTEGER PRIMARY KEY NOT NULL,
    root     BLOB NOT NULL,
    note     TEXT NOT NULL,
    frontier BLOB NOT NULL
) STRICT;

-- Derived from `evidence_captured` entries.
CREATE TABLE evidence (
    seq             INTEGER PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    id              TEXT NOT NULL UNIQUE,
    project         TEXT NOT NULL,
    commit_sha      TEXT,
    release_version TEXT,
    kind            TEXT NOT NULL,
    format          TEXT NOT NULL,
    tool_name       TEXT NOT NULL,
    tool_version    TEXT,
    file_name       TEXT NOT NULL,
    digest          BLOB NOT NULL,
    size            INTEGER NOT NULL,
    original_digest BLOB,
    redacted        INTEGER NOT NULL,
    summary         TEXT NOT NULL,
    findings_count  INTEGER NOT NULL,
    findings_digest BLOB NOT NULL,
    context         TEXT NOT NULL,
    produced_at     TEXT,
    captured_at     TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_by_commit ON evidence (project, commit_sha);
CREATE INDEX evidence_by_release ON evidence (project, release_version);
CREATE INDEX evidence_by_digest ON evidence (digest);

-- Normalized findings of each evidence row, in file order.
CREATE TABLE findings (
    evidence_seq    INTEGER NOT NULL,
    ordinal         INTEGER NOT NULL,
    fingerprint     BLOB NOT NULL,
    rule_id         TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    path            TEXT,
    start_line      INTEGER,
    end_line        INTEGER,
    cve             TEXT,
    cwe             TEXT,
    package         TEXT,
    package_version TEXT,
    suppressed      INTEGER NOT NULL,
    PRIMARY KEY (evidence_seq, ordinal)
) STRICT, WITHOUT ROWID;
CREATE INDEX findings_by_fingerprint ON findings (fingerprint);

-- Derived from `release_created` entries.
CREATE TABLE releases (
    seq        INTEGER PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    id         TEXT NOT NULL UNIQUE,
    project    TEXT NOT NULL,
    version    TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    artifacts  TEXT NOT NULL,
    previous   TEXT,
    actor      TEXT,
    context    TEXT NOT NULL,
    changes    TEXT NOT NULL,
    changes_note TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (project, version)
) STRICT;

-- Derived from every other kind of entry (policies, approvals, exceptions,
-- certificates): the entry's data as JSON, with the keys queries look it up by.
CREATE TABLE records (
    seq     INTEGER PRIMARY KEY NOT NULL REFERENCES ledger_entries (seq),
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    project TEXT,
    version TEXT,
    record  TEXT NOT NULL
) STRICT;
CREATE INDEX records_by_release ON records (kind, project, version);
CREATE INDEX records_by_id ON records (kind, id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER findings_no_update BEFORE UPDATE ON findings BEGIN SELECT RAISE(ABORT, 'findings are append-only'); END;
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings BEGIN SELECT RAISE(ABORT, 'findings are append-only'); END;
CREATE TRIGGER releases_no_update BEFORE UPDATE ON releases BEGIN SELECT RAISE(ABORT, 'releases are append-only'); END;
CREATE TRIGGER releases_no_delete BEFORE DELETE ON releases BEGIN SELECT RAISE(ABORT, 'releases are append-only'); END;
CREATE TRIGGER records_no_update BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
