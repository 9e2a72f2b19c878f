-- Secrets every node shares, made once by the first node that needs one (INSERT ... ON CONFLICT DO NOTHING):
-- 'scram_decoy' derives the SCRAM salt made up for an unknown user, the same on every node as a real salt is.
CREATE TABLE secrets (
    name   text PRIMARY KEY,
    value  bytea NOT NULL
);
