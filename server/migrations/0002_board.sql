-- Cards, and the append-only log of committed board changes.

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status_id   INTEGER NOT NULL REFERENCES statuses (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    priority    TEXT NOT NULL DEFAULT 'none'
                CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    -- A JSON array of strings.
    labels      TEXT NOT NULL DEFAULT '[]',
    due_date    TEXT,
    -- A fractional order key within the column: a move rewrites this row alone.
    position    TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX tasks_status ON tasks (status_id, position);
CREATE INDEX tasks_project ON tasks (project_id);

-- One row per committed change: `data` is the exact JSON sent on the project's
-- channel, so that a client that missed it gets the same bytes later.
CREATE TABLE events (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (project_id, rev)
) WITHOUT ROWID;
