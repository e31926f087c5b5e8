-- People and their credentials (issue 9): personal API tokens (hashed),
-- roles for Cloudflare Access identities (keyed by email), single-use signed
-- links to gate pages, and the outbound notification log.

-- Personal API tokens. Only the SHA-256 of the secret is stored; the secret
-- is shown once, when the token is created.
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,                -- public id (tok_…), used to revoke
  hash TEXT NOT NULL UNIQUE,          -- sha256:<hex> of the secret
  identity TEXT NOT NULL,             -- who acts with it (an email or a name)
  roles_json TEXT NOT NULL,           -- ["viewer" | "approver" | "admin" | "legal", …]
  label TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  revoked_by TEXT,
  last_used_at INTEGER
);
CREATE INDEX api_tokens_identity ON api_tokens (identity);

-- Roles of people who sign in through Cloudflare Access (identity = email).
CREATE TABLE people (
  email TEXT PRIMARY KEY,             -- lower-case
  roles_json TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Signed links: the HMAC proves a link was issued here; this row makes it
-- single-use (used_at flips once, conditionally) and revocable.
CREATE TABLE signed_links (
  id TEXT PRIMARY KEY,
  gate_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  issued_to TEXT NOT NULL,            -- who the link was made for (a person or a channel)
  issued_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  used_decision TEXT
);
CREATE INDEX signed_links_gate ON signed_links (gate_id);

-- Outbound notifications, one row per idempotency key: a retried step or a
-- replay sends a notification once.
CREATE TABLE notifications (
  key TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body_json TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
