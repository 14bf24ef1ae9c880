-- The public keys people sign in with over SSH (`--ssh-listen`), each a user's.
-- A key is found by its SHA-256 fingerprint, as OpenSSH prints it.
CREATE TABLE ssh_keys (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL UNIQUE,
    -- The key in OpenSSH's one-line form, without its comment.
    public_key  TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX ssh_keys_user ON ssh_keys (user_id);

-- A key removed (or its user) ends the sessions it opened: the row for project 0
-- tells a running server that someone's identity changed even when they are a
-- member of nothing; the others end their boards' subscriptions as for a token.
CREATE TRIGGER ssh_key_removed AFTER DELETE ON ssh_keys BEGIN
    INSERT INTO access_changes (project_id) VALUES (0);
    INSERT INTO access_changes (project_id)
        SELECT project_id FROM members WHERE user_id = OLD.user_id;
END;
