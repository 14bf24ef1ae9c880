-- The history of each board, for people to read ("ann moved 'Fix login' to Done"):
-- every event of the log, kept for as long as its card exists (or, for a column's
-- events, its project), whatever the log's retention for catching up. Made by a
-- trigger, so that every way an event is written keeps it.
CREATE TABLE activity (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev         bigint NOT NULL,
    task_id     bigint REFERENCES tasks (id) ON DELETE CASCADE,
    by_user     bigint,
    at          timestamptz NOT NULL DEFAULT now(),
    name        text NOT NULL,
    data        text NOT NULL,
    PRIMARY KEY (project_id, rev)
);
CREATE INDEX activity_task ON activity (task_id, rev) WHERE task_id IS NOT NULL;

-- The card an event is about, if any.
CREATE FUNCTION kanban_event_task(name text, data jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(
        (data -> 'task' ->> 'id')::bigint,
        (data -> 'comment' ->> 'task_id')::bigint,
        (data ->> 'task_id')::bigint,
        CASE WHEN name = 'task-deleted' THEN (data ->> 'id')::bigint END
    )
$$;

CREATE FUNCTION kanban_activity_of_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity (project_id, rev, task_id, by_user, name, data)
    -- A card that is no more (an event copied from an older log) has no history.
    VALUES (NEW.project_id, NEW.rev,
            (SELECT id FROM tasks WHERE id = kanban_event_task(NEW.name, NEW.data::jsonb)),
            (NEW.data::jsonb ->> 'by')::bigint, NEW.name, NEW.data)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER activity_of_events AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION kanban_activity_of_event();

-- What the log still holds from before (cards purged since have no history).
INSERT INTO activity (project_id, rev, task_id, by_user, name, data)
SELECT e.project_id, e.rev, t.id, (e.data::jsonb ->> 'by')::bigint, e.name, e.data
FROM events AS e LEFT JOIN tasks AS t ON t.id = kanban_event_task(e.name, e.data::jsonb)
ON CONFLICT DO NOTHING;
