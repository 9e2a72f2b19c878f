-- The claim's due selection (queue.PgQueueStore.CLAIM): due rows that are not held, in next_due order. The
-- partial index holds only claimable rows (held ones and those with nothing due are left out), so a claim
-- reads the few due entries and stops at its LIMIT, however long the queue (docs/scaling.md, "The claim's plan").
--
-- A plain CREATE INDEX, in Flyway's transaction: it holds a SHARE lock on queue_messages while it builds, so
-- writes to the queue (new mail, outcomes, renewals) wait for it during a rolling upgrade; the build reads the
-- table once: 1.3 s for a million queued rows on a loaded 2-core test machine (docs/scaling.md). Not
-- CONCURRENTLY: that must run outside a transaction, and a CONCURRENTLY build waits for every transaction with an
-- older snapshot, including another node's session waiting for Flyway's advisory lock: nodes starting together
-- would deadlock.
CREATE INDEX queue_messages_claim ON queue_messages (next_due) WHERE next_due IS NOT NULL AND NOT held;

-- V2's index on next_due of every row: the claim was its only user, and no other statement on queue_messages
-- filters or orders on next_due (the others go by id, lease_owner or received_at). Each next_due update paid for
-- it twice.
DROP INDEX queue_messages_due;
