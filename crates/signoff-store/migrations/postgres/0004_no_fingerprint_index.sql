-- No query looks findings up by fingerprint: finding history reaches the row of
-- a finding's latest sighting by primary key (see `finding_history`). The index
-- cost every capture a random B-tree insert per finding, about a third of the
-- time of a large capture.
DROP INDEX IF EXISTS findings_by_fingerprint;
