-- The queue every node shares (docs/scaling.md, "The queue in PostgreSQL"). One row per message: its envelope
-- and its state as the JSON the files store keeps in <id>.env and <id>.state (queue.MessageState: per recipient
-- its status, next attempt, notices and attempt history), so both stores share one model and one codec. The
-- content is in chunks of at most 256 KiB (bounded memory on both sides, TOAST compresses each).
--
-- A claim is a lease on the whole message: lease_owner (a node id) until lease_until (the database's clock),
-- lease_seq bumped by every claim, so that a node whose lease expired and was taken over cannot write over the
-- new owner (every UPDATE and DELETE of a node is guarded by lease_owner AND lease_seq).

CREATE TABLE queue_messages (
    id               text PRIMARY KEY,
    received_at      timestamptz NOT NULL,
    accepted_by      text NOT NULL,              -- the node that answered 250
    envelope         text NOT NULL,              -- spool.EnvelopeCodec JSON, immutable
    size             bigint NOT NULL,
    chunks           integer NOT NULL,           -- rows in queue_content, checked when read
    state            text,                       -- queue.MessageState JSON; NULL: never attempted, all queued
    held             boolean NOT NULL DEFAULT false,   -- posthorn queue hold: never claimed
    retry_requested  boolean NOT NULL DEFAULT false,   -- posthorn queue retry: the next claim makes all due now
    next_due         timestamptz,                -- earliest next attempt of a waiting recipient; NULL: none
    lease_owner      text,
    lease_until      timestamptz,
    lease_seq        bigint NOT NULL DEFAULT 0
);
CREATE INDEX queue_messages_due ON queue_messages (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX queue_messages_leases ON queue_messages (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE queue_content (
    message_id  text NOT NULL REFERENCES queue_messages (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    chunk       bytea NOT NULL,
    PRIMARY KEY (message_id, seq)
);

-- Rows are deleted as fast as they are inserted: vacuum them early.
ALTER TABLE queue_messages SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE queue_content SET (autovacuum_vacuum_scale_factor = 0.01);
