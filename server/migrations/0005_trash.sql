-- The trash: a deleted card or column stays, marked, until it is restored or purged
-- (after a retention the server sets). Cards deleted with their column are marked
-- with it (`trashed_with`) and come back with it.
ALTER TABLE tasks ADD COLUMN deleted_at TEXT;
ALTER TABLE tasks ADD COLUMN deleted_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN trashed_with INTEGER;
ALTER TABLE statuses ADD COLUMN deleted_at TEXT;
ALTER TABLE statuses ADD COLUMN deleted_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX tasks_trash ON tasks (project_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX statuses_trash ON statuses (project_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX tasks_trashed_with ON tasks (trashed_with) WHERE trashed_with IS NOT NULL;
