-- A claim seen before its claim gate was approved (issue 15): someone used the claim URL
-- while the gate was pending, or without any approval. When the run saw it (ms) and when
-- the account was claimed (ms, when the claim page says so); shown on the gate.
ALTER TABLE gates ADD COLUMN claimed_before_approval_at INTEGER;
