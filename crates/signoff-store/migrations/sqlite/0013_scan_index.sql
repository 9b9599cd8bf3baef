-- A project's scans (evidence whose summary counts findings) read from an index
-- alone: the findings page and the metrics' time to fix list them, and reading
-- every piece of the project's evidence to test its summary grew with the
-- store. Partial, so only scans pay for it: one entry per scan, appended in
-- ledger order within its project. The WHERE clause is the very term the
-- `scans` query uses (`Dialect::has_findings`), which is how SQLite knows the
-- index answers it.
CREATE INDEX evidence_scans ON evidence (project, seq, tool_name, target, commit_sha, release_version, captured_at)
    WHERE json_extract(summary, '$.findings') IS NOT NULL;
