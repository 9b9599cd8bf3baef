-- What each scan scanned (A4): an image, a path, a repository, an SBOM's subject,
-- as the report names it (or the CI repository). A finding is fixed only by a
-- later scan by the same tool of the same target. Rows captured before this
-- migration have none. Triage decisions (D3) are `records` rows of kinds
-- `triage_recorded` and `triage_approved`, looked up by subject (the finding's
-- fingerprint) through `records_by_subject`.
ALTER TABLE evidence ADD COLUMN target TEXT;
CREATE INDEX evidence_by_scan_target ON evidence (project, tool_name, target);
