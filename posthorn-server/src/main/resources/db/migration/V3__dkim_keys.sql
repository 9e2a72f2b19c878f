-- DKIM keys every node signs with (docs/scaling.md, "DKIM keys in PostgreSQL"): the private key as PKCS#8 DER,
-- and which selector signs per (domain, algorithm). The partial unique index is the rule itself: however many
-- nodes or commands activate at once, at most one key per domain and algorithm is active (RFC 6376 §3.1: the
-- selector in s= names the key a verifier fetches; two active keys of one algorithm would sign twice).
--
-- The private keys are secrets: whoever can SELECT this table can sign mail as these domains. Only the
-- database role Posthorn connects as needs it; no privilege for PUBLIC.

CREATE TABLE dkim_keys (
    domain       text NOT NULL,
    selector     text NOT NULL,
    algorithm    text NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
    private_key  bytea NOT NULL,                 -- PKCS#8 DER
    created      timestamptz NOT NULL DEFAULT now(),
    active       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (domain, selector)               -- a selector names one key of a domain, whatever its algorithm
);
CREATE UNIQUE INDEX dkim_keys_one_active ON dkim_keys (domain, algorithm) WHERE active;

REVOKE ALL ON dkim_keys FROM PUBLIC;
