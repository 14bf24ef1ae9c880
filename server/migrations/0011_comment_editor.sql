-- Who last changed a comment, when that was not its author (an owner may).
ALTER TABLE comments ADD COLUMN edited_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
