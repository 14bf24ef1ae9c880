-- One row a not-ready server rewrites to learn whether the database takes writes
-- again (after a full disk): as large as a batch of changes may need (64 KiB),
-- so that room for it is room for them.
CREATE TABLE write_probe (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    filler  BLOB NOT NULL
);
