-- A run that failed on infrastructure can be resumed (src/control/resume.ts): each resume is a
-- new Workflow instance for the same run, `<id>_R<n>`, so the row counts them, and whatever
-- reaches the run's instance (gate decisions, the sweeper's wake) asks the row which one it is.
ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
-- The machine state a fault ended the run in (the state column then says `failed`): where a
-- resume starts again, with the context the last journal entry wrote.
ALTER TABLE runs ADD COLUMN aborted_in TEXT;
