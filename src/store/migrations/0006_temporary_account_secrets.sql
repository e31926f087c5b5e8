-- A run's temporary Cloudflare account as the orchestrator holds it (issue 15): its API token
-- and claim URL were captured by the egress proxy from the provisioning answer, so wrangler in
-- the Sandbox only ever had placeholders. The token is lent to the run's later deploy steps
-- through an egress grant; the claim URL is for the claim gate. Never in a step result, an
-- event, an artifact or a log; no API route reads this table whole.
CREATE TABLE temporary_account_secrets (
  account_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  api_token TEXT NOT NULL,
  claim_url TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  claim_expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX temporary_account_secrets_run ON temporary_account_secrets (run_id, created_at);
