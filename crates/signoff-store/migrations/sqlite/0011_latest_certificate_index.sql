-- A release's latest certificate (the release list's decision and status filter,
-- one lookup per release): the newest entry of the release's certificates read
-- from the end of this index with its status, never sorted.
CREATE INDEX records_by_release_seq ON records (kind, project, version, seq, status);
