-- Indexes that answer the audit questions without reading record bodies.
-- A release's latest certificate decision is read from the index alone (a
-- certificate record carries its signed envelope, kilobytes that a lookup of the
-- decision should not touch), and evidence captured at a commit before any
-- release named it is found by (project, commit, no release) rather than by
-- scanning every unreleased item of the project.
DROP INDEX records_by_release;
CREATE INDEX records_by_release ON records (kind, project, version, status);
DROP INDEX evidence_by_commit;
CREATE INDEX evidence_by_commit ON evidence (project, commit_sha, release_version);
