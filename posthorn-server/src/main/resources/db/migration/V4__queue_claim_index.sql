-- The claim's due selection (queue.PgQueueStore.CLAIM): due rows that are not held, in next_due order. The
-- partial index holds only claimable rows (held ones and those with nothing due are left out), so a claim
-- reads the few due entries and stops at its LIMIT, however long the queue (docs/scaling.md, "The claim's plan").
CREATE INDEX queue_messages_claim ON queue_messages (next_due) WHERE next_due IS NOT NULL AND NOT held;
