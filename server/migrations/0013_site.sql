-- Who this database is (one row, made by the first server to open it): the site
-- its servers form on a broker, and the epoch of its history, which changes
-- whenever that history may have been rewound (a restore, a migration to
-- PostgreSQL) so that clients holding revisions of another history fetch their
-- boards afresh.
CREATE TABLE site (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cluster_id  INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    -- Where the database lives; a copy opened elsewhere finds it different.
    home        TEXT NOT NULL DEFAULT '',
    -- Set in a backup's copy: the server that opens it makes it a site of its own.
    is_copy     INTEGER NOT NULL DEFAULT 0
);
