-- Access taken away (a membership removed, directly or with its user; a token
-- revoked), one row per project it touched. The admin command line writes these
-- from its own process; a running server reads them to end the live subscriptions
-- of those projects, which then reconnect and are authorized again, or refused.
CREATE TABLE access_changes (
    -- AUTOINCREMENT: numbers are never reused once the rows acted on are deleted.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL
);

CREATE TRIGGER membership_removed AFTER DELETE ON members BEGIN
    INSERT INTO access_changes (project_id) VALUES (OLD.project_id);
END;

CREATE TRIGGER token_revoked AFTER DELETE ON tokens BEGIN
    INSERT INTO access_changes (project_id)
        SELECT project_id FROM members WHERE user_id = OLD.user_id;
END;
