-- Access changes that take nothing away: a membership granted or its role
-- changed. A running server tells the project's open boards their new member list
-- (names, colors and roles for assignees and markers), and asks no one to
-- reconnect. The rows from migration 3 are revocations.
ALTER TABLE access_changes ADD COLUMN revoked INTEGER NOT NULL DEFAULT 1;

CREATE TRIGGER membership_granted AFTER INSERT ON members BEGIN
    INSERT INTO access_changes (project_id, revoked) VALUES (NEW.project_id, 0);
END;

CREATE TRIGGER membership_changed AFTER UPDATE OF role ON members
WHEN OLD.role IS NOT NEW.role BEGIN
    INSERT INTO access_changes (project_id, revoked) VALUES (NEW.project_id, 0);
END;
