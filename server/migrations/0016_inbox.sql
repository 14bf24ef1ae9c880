-- Reaching people: who watches which card, what each person was told, and the
-- revision of each board each person last saw. A watch or a notification of a
-- board its person has left stays, but nothing reads it: every read joins the
-- board's members as they are now.

CREATE TABLE watchers (
    task_id  INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, user_id)
) WITHOUT ROWID;
CREATE INDEX watchers_user ON watchers (user_id);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id     INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    by_user     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    at          TEXT NOT NULL,
    what        TEXT NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0,
    -- A reminder's day: one a card, kind and person a day, whichever server
    -- (or node) makes it.
    day         TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read = 0;
CREATE UNIQUE INDEX notifications_daily ON notifications (user_id, task_id, kind, day)
    WHERE day IS NOT NULL;

CREATE TABLE seen (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;
