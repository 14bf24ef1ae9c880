-- Checklists: ordered items on a card, each ticked or not. They stay while their
-- card is in the trash (and come back with it), and go when it is purged.
CREATE TABLE checklist_items (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    position    TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX checklist_items_task ON checklist_items (task_id, position, id);
CREATE INDEX checklist_items_project ON checklist_items (project_id);
