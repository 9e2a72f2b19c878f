-- The directory every node shares: hosted domains, accounts with their credentials and admin flag, the
-- addresses mail is accepted for, API tokens. Addresses and domain names are stored lower case (the
-- application folds them; the CHECKs keep a hand-written INSERT honest), so look-ups are plain index scans and
-- no extension (citext) is needed.

CREATE TABLE domains (
    name        text PRIMARY KEY CHECK (name = lower(name)),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    address           text PRIMARY KEY CHECK (address = lower(address)),
    -- Argon2id PHC string for PLAIN and LOGIN; NULL: a mailbox that receives mail but cannot log in.
    password_hash     text,
    -- SCRAM-SHA-256 (RFC 5802 §3): derived from the password when it is set, since a hash cannot give them.
    scram_salt        bytea,
    scram_iterations  integer,
    scram_stored_key  bytea,
    scram_server_key  bytea,
    admin             boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scram_whole_or_absent CHECK (
        (scram_salt IS NULL AND scram_iterations IS NULL AND scram_stored_key IS NULL AND scram_server_key IS NULL)
        OR (scram_salt IS NOT NULL AND scram_iterations >= 1 AND scram_stored_key IS NOT NULL
            AND scram_server_key IS NOT NULL AND password_hash IS NOT NULL))
);

-- Every address mail is accepted for: each account's own (address = account) and its aliases. One table, so
-- that the primary key alone makes an address either an account or an alias of one account, never both, even
-- when two nodes add the same address at the same moment.
CREATE TABLE addresses (
    address  text PRIMARY KEY CHECK (address = lower(address)),
    account  text NOT NULL REFERENCES accounts (address) ON DELETE CASCADE
);
CREATE INDEX addresses_by_account ON addresses (account);

-- API tokens: only the SHA-256 of the token is kept (a token is 256 random bits; see TokenSecrets).
CREATE TABLE api_tokens (
    id           text PRIMARY KEY,
    account      text NOT NULL REFERENCES accounts (address) ON DELETE CASCADE,
    name         text NOT NULL,
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz
);
CREATE INDEX api_tokens_by_account ON api_tokens (account);
