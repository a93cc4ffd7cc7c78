-- greydb on PostgreSQL: the tables of greydb.sql, shared by several MX hosts.
-- The programs apply this file themselves when a table is missing (they need the CREATE privilege on
-- the schema then); by hand, or to create the tables as the database owner:
--   psql "postgresql://greylite@db.example.net/greylite" -f greydb-postgresql.sql
-- or: greylitectl db init --db postgresql://greylite@db.example.net/greylite
-- Every statement is idempotent, so applying it to an existing greydb is harmless.
-- Same tables, columns and primary keys as greydb.sql; times are Unix seconds (UTC) in BIGINT.

-- One row per (client, sender, recipient) triplet seen.
CREATE TABLE IF NOT EXISTS triplet (
    client     TEXT    NOT NULL,  -- client key: the address (192.0.2.7, 2001:db8::1) or its network (192.0.2.0/24)
    sender     TEXT    NOT NULL,  -- envelope sender, lower case; '' for the null sender <>
    recipient  TEXT    NOT NULL,  -- envelope recipient, lower case
    refusals   INTEGER NOT NULL,  -- refusals counted so far
    first_seen BIGINT  NOT NULL,  -- first attempt
    last_seen  BIGINT  NOT NULL,  -- last counted refusal; once passed, last delivery
    passed_at  BIGINT,            -- when it first passed; NULL while pending
    PRIMARY KEY (client, sender, recipient)
);

-- Clients whose mail passes without greylisting.
CREATE TABLE IF NOT EXISTS whitelist (
    client     TEXT    NOT NULL PRIMARY KEY, -- auto: the client key, as in triplet.client; admin: address or CIDR block
    source     TEXT    NOT NULL DEFAULT 'auto', -- 'auto': earned by a delivery; 'admin': added by hand
    created    BIGINT  NOT NULL,
    last_seen  BIGINT  NOT NULL,  -- last delivery; an auto entry expires whitelist-lifetime after it
    expires    BIGINT,            -- admin entries: when it ends; NULL for never
    comment    TEXT
);

-- Clients whose mail is refused outright (554), added by an administrator (greylitectl db blacklist add).
CREATE TABLE IF NOT EXISTS blacklist (
    client     TEXT    NOT NULL PRIMARY KEY, -- address or CIDR block (192.0.2.0/24, 2001:db8::/32)
    created    BIGINT  NOT NULL,
    expires    BIGINT,            -- when it ends; NULL for never
    comment    TEXT
);

-- Behaviours of a client remembered across connections (suspicion 'b' rules), e.g. retryinterval.
CREATE TABLE IF NOT EXISTS client_behaviour (
    client     TEXT    NOT NULL,  -- client key, as in triplet.client
    behaviour  TEXT    NOT NULL,  -- the b-rule keyword, e.g. 'retryinterval'
    last_seen  BIGINT  NOT NULL,  -- last time it was shown; forgotten retry-window after it
    PRIMARY KEY (client, behaviour)
);

-- Facts about the greydb: schema_version, last_purge, the lifetimes the last engine started with, and
-- client_key_text (rfc5952) once the IPv6 client keys an older version wrote in full (2001:db8:0:0:0:0:0:1)
-- are rewritten in RFC 5952 text (2001:db8::1), the text the programs key by.
CREATE TABLE IF NOT EXISTS greydb_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO greydb_meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
