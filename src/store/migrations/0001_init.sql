-- nightshift's durable record. The Workflow remembers steps; D1 is what
-- humans, the API and the sweeper read. Times are ms since epoch (UTC).

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL,              -- api | schedule | webhook | cli
  status TEXT NOT NULL,               -- starting | running | waiting | final
  state TEXT NOT NULL,                -- machine state name
  input_json TEXT NOT NULL DEFAULT '{}',
  context_json TEXT,                  -- the machine context after the last transition
  outcome_json TEXT,
  step_count INTEGER NOT NULL DEFAULT 0,
  current_step TEXT,
  wake_at INTEGER,                    -- when a sleeping run is due to wake (sweeper)
  cancel_requested_at INTEGER,
  cancel_requested_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_job ON runs (job, created_at);
CREATE INDEX runs_status ON runs (status, updated_at);

-- Append-only audit log: every transition, decision and notable act.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  step TEXT,                          -- the step that produced it (NULL for API acts)
  type TEXT NOT NULL,
  actor TEXT,                         -- who (a person, 'system', 'sweeper')
  from_state TEXT,
  to_state TEXT,
  data_json TEXT NOT NULL DEFAULT '{}',
  at INTEGER NOT NULL
);
CREATE INDEX events_run ON events (run_id, seq);
-- A step that runs twice (retry, replay of a write) records its transition once.
CREATE UNIQUE INDEX events_step_once ON events (run_id, step, type) WHERE step IS NOT NULL;

CREATE TABLE gates (
  id TEXT PRIMARY KEY,                -- runId:kind:seq
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,                 -- tos | claim | dns
  seq INTEGER NOT NULL,
  event_type TEXT NOT NULL,           -- what the run's waitForEvent listens for
  status TEXT NOT NULL,               -- pending | approved | rejected | expired | cancelled
  approvers_json TEXT NOT NULL DEFAULT '[]',
  shown_json TEXT NOT NULL DEFAULT '{}',
  shown_hash TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  deadline_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  reason TEXT,
  delivered_at INTEGER                -- when the decision reached the run
);
CREATE INDEX gates_pending ON gates (status, deadline_at);
CREATE INDEX gates_run ON gates (run_id);

-- What each step cost, once per step.
CREATE TABLE budget_ledger (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  sandbox_ms INTEGER NOT NULL DEFAULT 0,
  deploys INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step)
);

-- Results of infrastructure-creating calls, keyed by runId:stepName.
CREATE TABLE idempotency (
  key TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  result_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Legal sign-offs (terms of service for temporary accounts).
CREATE TABLE signoffs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,                 -- tos
  api_base TEXT NOT NULL,             -- which Cloudflare API the terms were accepted for
  terms_url TEXT NOT NULL,
  privacy_url TEXT NOT NULL,
  signed_by TEXT NOT NULL,
  signed_at INTEGER NOT NULL,
  automatic INTEGER NOT NULL DEFAULT 0,  -- 1: recorded by local mode for the emulator's own terms
  note TEXT
);

-- Stored artifacts too big for a step result (reports, logs, diffs).
CREATE TABLE artifacts (
  ref TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_run ON artifacts (run_id);
