-- Comments on cards: a thread per card, oldest first. They stay while their card is
-- in the trash (and come back with it), and go when it is purged. An author who is
-- no longer a user leaves their comments, unsigned.
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX comments_task ON comments (task_id, id);
CREATE INDEX comments_project ON comments (project_id);
