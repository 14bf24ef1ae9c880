-- Who this database is (one row, made by the first server to open it): the site
-- its servers form on a broker, and the epoch of its history, which changes
-- whenever that history may have been rewound (a restore, a migration from
-- SQLite) so that clients holding revisions of another history fetch their
-- boards afresh.
CREATE TABLE site (
    id          integer PRIMARY KEY CHECK (id = 1),
    cluster_id  bigint NOT NULL,
    epoch       bigint NOT NULL,
    -- The PostgreSQL system, database and schema it lives in: a dump restored
    -- anywhere else finds it different.
    home        text NOT NULL DEFAULT '',
    -- Set in a backup's copy: the server that opens it makes it a site of its own.
    is_copy     boolean NOT NULL DEFAULT false
);
