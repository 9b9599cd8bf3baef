-- Keys the audit questions look records up by: the entry's time, a subject (the
-- environment of a deployment or snapshot, the target of an exception) and a
-- status (a deployment's certificate state, a certificate's decision). Evidence
-- is looked up by capture time too.
ALTER TABLE records ADD COLUMN at TEXT;
ALTER TABLE records ADD COLUMN subject TEXT;
ALTER TABLE records ADD COLUMN status TEXT;
CREATE INDEX records_by_subject ON records (kind, subject, at);
CREATE INDEX records_by_time ON records (kind, at);
CREATE INDEX evidence_by_time ON evidence (captured_at);
CREATE INDEX releases_by_time ON releases (created_at);
CREATE INDEX releases_by_commit ON releases (project, commit_sha);
