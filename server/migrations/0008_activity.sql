-- The history of each board, for people to read ("ann moved 'Fix login' to Done"):
-- every event of the log, kept for as long as its card exists (or, for a column's
-- events, its project), whatever the log's retention for catching up. Made by a
-- trigger, so that every way an event is written keeps it.
CREATE TABLE activity (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev         INTEGER NOT NULL,
    task_id     INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
    by_user     INTEGER,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    name        TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (project_id, rev)
) WITHOUT ROWID;
CREATE INDEX activity_task ON activity (task_id, rev) WHERE task_id IS NOT NULL;

CREATE TRIGGER activity_of_events AFTER INSERT ON events
BEGIN
    INSERT OR IGNORE INTO activity (project_id, rev, task_id, by_user, name, data)
    SELECT NEW.project_id, NEW.rev, t.id, json_extract(NEW.data, '$.by'), NEW.name, NEW.data
    FROM (SELECT COALESCE(
        json_extract(NEW.data, '$.task.id'),
        json_extract(NEW.data, '$.comment.task_id'),
        json_extract(NEW.data, '$.task_id'),
        CASE WHEN NEW.name = 'task-deleted' THEN json_extract(NEW.data, '$.id') END
    ) AS wanted) AS w
    LEFT JOIN tasks AS t ON t.id = w.wanted;
END;

-- What the log still holds from before.
INSERT OR IGNORE INTO activity (project_id, rev, task_id, by_user, name, data)
SELECT e.project_id, e.rev, t.id, json_extract(e.data, '$.by'), e.name, e.data
FROM events AS e
LEFT JOIN tasks AS t ON t.id = COALESCE(
    json_extract(e.data, '$.task.id'),
    json_extract(e.data, '$.comment.task_id'),
    json_extract(e.data, '$.task_id'),
    CASE WHEN e.name = 'task-deleted' THEN json_extract(e.data, '$.id') END
);
