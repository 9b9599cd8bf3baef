-- Evidence sent to a server carries the sender's idempotency key (a retried
-- delivery is stored once: the key is unique) and, when it waited in the sender's
-- outbox, the time it was captured there. Rows captured locally have neither.
ALTER TABLE evidence ADD COLUMN delivery_key TEXT;
ALTER TABLE evidence ADD COLUMN delivery_captured_at TEXT;
CREATE UNIQUE INDEX evidence_by_delivery_key ON evidence (delivery_key);
