-- Projects being imported (`project import`): made change by change by their
-- members to be, who count as members for those changes alone; they have no
-- members yet, so nobody sees them, until the last change is in and their
-- members are given in one transaction. An import that dies leaves its rows
-- behind, and the next import or server start removes the project once
-- `touched_at` (moved at each slice of changes) is stale.
CREATE TABLE imports (
    project_id  bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    touched_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE import_members (
    project_id  bigint NOT NULL REFERENCES imports (project_id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
