-- Projects being imported (`project import`): made change by change by their
-- members to be, who count as members for those changes alone; they have no
-- members yet, so nobody sees them, until the last change is in and their
-- members are given in one transaction. An import that dies leaves its rows
-- behind, and the next import or server start removes the project once
-- `touched_at` (moved at each slice of changes) is stale.
CREATE TABLE imports (
    project_id  INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    touched_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE import_members (
    project_id  INTEGER NOT NULL REFERENCES imports (project_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
