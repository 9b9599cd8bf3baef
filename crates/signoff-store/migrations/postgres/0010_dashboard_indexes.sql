-- The signal inventory (E4, I2) groups a project's evidence by tool and kind:
-- one pass over this index rather than over the table.
CREATE INDEX evidence_by_source ON evidence (project, tool_name, kind);
-- A project's releases newest first (the release list filtered by project, the
-- inventory's recent releases): read in index order, never sorted.
CREATE INDEX releases_by_project ON releases (project, seq);
