-- Checkpoints are chained: each names the tree size of the checkpoint signed
-- before it (0 for the first), so `ledger verify` notices a checkpoint row that
-- was deleted from the middle. Rows written before this migration have none.
ALTER TABLE checkpoints ADD COLUMN previous_size BIGINT;
