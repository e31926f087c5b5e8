-- Triggers (issue 8): cron schedules and signed webhooks. Times are ms since epoch (UTC).

-- Per-job state that outlives runs: paused or not, and since when.
CREATE TABLE job_state (
  job TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  paused_at INTEGER,
  paused_by TEXT,                     -- a person, 'api', or 'nightshift' (paused itself after failures)
  pause_reason TEXT,
  resumed_at INTEGER,                 -- failures before this no longer count towards pauseAfterFailures
  lease_until INTEGER,                -- a short lease around "is a run active? then start one"
  updated_at INTEGER NOT NULL
);

-- Job-level audit log (runs have theirs in `events`): paused, resumed, skipped, queued.
CREATE TABLE job_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT,
  run_id TEXT,                        -- the run it concerns, when there is one
  data_json TEXT NOT NULL DEFAULT '{}',
  at INTEGER NOT NULL
);
CREATE INDEX job_events_job ON job_events (job, seq);

-- Runs waiting for their job's active run to end (concurrency: "queue").
-- The run id is already derived from the trigger, so a repeated trigger queues once.
CREATE TABLE run_queue (
  run_id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL,              -- schedule | webhook
  actor TEXT NOT NULL,
  input_json TEXT NOT NULL,
  details_json TEXT NOT NULL DEFAULT '{}',
  queued_at INTEGER NOT NULL
);
CREATE INDEX run_queue_job ON run_queue (job, queued_at);

-- Every accepted webhook delivery: a redelivery answers from here and starts nothing.
-- Headers, secrets and signatures are never stored.
CREATE TABLE deliveries (
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  event TEXT,
  runs_json TEXT NOT NULL,            -- [{ job, runId, outcome, reason? }]
  received_at INTEGER NOT NULL,
  PRIMARY KEY (source, delivery_id)
);
CREATE INDEX deliveries_received ON deliveries (received_at);

-- Scheduler bookkeeping: the last minute the schedules were evaluated for.
CREATE TABLE scheduler_state (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
