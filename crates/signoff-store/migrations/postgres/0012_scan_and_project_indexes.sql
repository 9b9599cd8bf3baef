-- A scan's findings with their fingerprints, read from an index alone: the
-- findings page's history groups a project's findings by fingerprint without
-- reading every finding's row. Keyed in the order findings are written (entry,
-- then position in the file), so a capture of a million findings appends to it
-- rather than inserting at random places, as an index by fingerprint would.
CREATE INDEX findings_by_scan ON findings (evidence_seq, ordinal, fingerprint);

-- A project's newest evidence without reading and sorting all of it (the
-- inventory's quality check, a search within one project): every other index
-- starting with the project orders its rows by something else first.
CREATE INDEX evidence_by_project ON evidence (project, seq);
