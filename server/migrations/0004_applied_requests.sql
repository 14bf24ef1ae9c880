-- Changes already made, by the key their client gave them (`Idempotency-Key`), so
-- that a change sent again (a client that lost the answer, an offline queue replayed)
-- is answered with its first event instead of being made twice. Keyed by user: one
-- person's key never answers another's request.
CREATE TABLE applied_requests (
    user_id     INTEGER NOT NULL,
    key         TEXT NOT NULL,
    project_id  INTEGER NOT NULL,
    rev         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX applied_requests_at ON applied_requests (at);
