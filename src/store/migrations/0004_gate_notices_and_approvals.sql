-- Gate notices and two-approver gates (docs/inbox.md).
--
-- required_approvals: how many different people must approve before the gate
-- is approved (copied from the job's gate policy when the gate opens; 1 or 2).
-- expiry_warned_at / expiry_noticed_at: when the "about to expire" and the
-- "expired" notifications were handed to the Notifier; each is claimed with a
-- conditional update, so each is sent once per gate, whoever gets there first
-- (the sweeper or the run settling its own timed-out gate).
ALTER TABLE gates ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1;
ALTER TABLE gates ADD COLUMN expiry_warned_at INTEGER;
ALTER TABLE gates ADD COLUMN expiry_noticed_at INTEGER;
-- Gates that expired before notices existed are not announced now.
UPDATE gates SET expiry_noticed_at = COALESCE(decided_at, deadline_at) WHERE status = 'expired';
CREATE INDEX gates_expired_unnoticed ON gates (status, expiry_noticed_at);

-- Approvals recorded on a gate that needs more than one: one row per person,
-- so the same person cannot count twice. The gate row stays the truth about
-- the decision; these rows only count towards it.
CREATE TABLE gate_approvals (
  gate_id TEXT NOT NULL,
  approver TEXT NOT NULL,             -- the person (a signed link counts as whom it was issued to)
  actor TEXT NOT NULL,                -- the identity the decision was made under
  via TEXT,
  reason TEXT,
  shown_hash TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (gate_id, approver)
);
