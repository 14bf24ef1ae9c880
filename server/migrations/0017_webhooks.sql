-- Webhooks: each committed change of a board POSTed to the URLs that asked for
-- it. A hook's queue is the board's history (`activity`, written in the change's
-- own transaction) after the hook's cursor on that board: nothing more is written
-- when a board changes, nothing uncommitted is ever sent, and a crash loses
-- nothing. Times the delivery worker keeps are milliseconds since the epoch.

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    -- NULL: every board, those made later too.
    project_id  INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    -- The events sent, comma separated; NULL: all of them.
    events      TEXT,
    -- The HMAC key of the signatures: kept as given, since signing needs it.
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Where each hook is on each board: delivered (or given up) up to `rev`; the next
-- delivery tried `attempts` times, not again before `next_at`; held by the node
-- `lease_by` until `lease_until`, so that one node alone sends it.
CREATE TABLE webhook_cursors (
    hook_id     INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev         INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    lease_by    TEXT,
    PRIMARY KEY (hook_id, project_id)
) WITHOUT ROWID;

-- What became of recent deliveries (the newest of each hook are kept).
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    hook_id     INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL,
    rev         INTEGER NOT NULL,
    event       TEXT NOT NULL,
    -- delivered, retrying or failed.
    outcome     TEXT NOT NULL,
    status      INTEGER,
    error       TEXT,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (hook_id, id);
