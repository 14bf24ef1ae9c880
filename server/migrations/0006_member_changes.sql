-- Access changes that take nothing away: a membership granted or its role changed
-- (`project grant` writes these itself, beside the membership; a new project's
-- first members are nobody's news). A running server tells the project's open
-- boards their new member list (names, colors and roles for assignees and markers),
-- and asks no one to reconnect. The rows from migration 3 are revocations.
ALTER TABLE access_changes ADD COLUMN revoked INTEGER NOT NULL DEFAULT 1;
