-- A board its owners archived: out of the picker unless asked for, and taking no
-- changes until it is brought back. Its history and cards stay as they were.
ALTER TABLE projects ADD COLUMN archived_at timestamptz;
