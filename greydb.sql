-- greydb: the greylisting database.
-- The programs apply this file themselves when the database is new; by hand:
--   sqlite3 -init greydb.sql /var/db/greylite/greylite.db .quit
-- Every statement is idempotent, so applying it to an existing greydb is harmless.
-- Times are Unix seconds (UTC).

PRAGMA journal_mode = WAL;

-- One row per (client, sender, recipient) triplet seen.
CREATE TABLE IF NOT EXISTS triplet (
    client     TEXT    NOT NULL,  -- client key: the address (192.0.2.7, 2001:db8::1) or its network (192.0.2.0/24)
    sender     TEXT    NOT NULL,  -- envelope sender, lower case; '' for the null sender <>
    recipient  TEXT    NOT NULL,  -- envelope recipient, lower case
    refusals   INTEGER NOT NULL,  -- refusals counted so far
    first_seen INTEGER NOT NULL,  -- first attempt
    last_seen  INTEGER NOT NULL,  -- last counted refusal; once passed, last delivery
    passed_at  INTEGER,           -- when it first passed; NULL while pending
    PRIMARY KEY (client, sender, recipient)
) WITHOUT ROWID;

-- Clients whose mail passes without greylisting.
CREATE TABLE IF NOT EXISTS whitelist (
    client     TEXT    NOT NULL PRIMARY KEY, -- auto: the client key, as in triplet.client; admin: address or CIDR block
    source     TEXT    NOT NULL DEFAULT 'auto', -- 'auto': earned by a delivery; 'admin': added by hand
    created    INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,  -- last delivery; an auto entry expires whitelist-lifetime after it
    expires    INTEGER,           -- admin entries: when it ends; NULL for never
    comment    TEXT
) WITHOUT ROWID;

-- Clients whose mail is refused outright (554), added by an administrator (greylitectl db blacklist add).
CREATE TABLE IF NOT EXISTS blacklist (
    client     TEXT    NOT NULL PRIMARY KEY, -- address or CIDR block (192.0.2.0/24, 2001:db8::/32)
    created    INTEGER NOT NULL,
    expires    INTEGER,           -- when it ends; NULL for never
    comment    TEXT
) WITHOUT ROWID;

-- Behaviours of a client remembered across connections (suspicion 'b' rules), e.g. retryinterval.
CREATE TABLE IF NOT EXISTS client_behaviour (
    client     TEXT    NOT NULL,  -- client key, as in triplet.client
    behaviour  TEXT    NOT NULL,  -- the b-rule keyword, e.g. 'retryinterval'
    last_seen  INTEGER NOT NULL,  -- last time it was shown; forgotten retry-window after it
    PRIMARY KEY (client, behaviour)
) WITHOUT ROWID;

-- Facts about the greydb: schema_version, last_purge, the lifetimes the last engine started with, and
-- client_key_text (rfc5952) once the IPv6 client keys an older version wrote in full (2001:db8:0:0:0:0:0:1)
-- are rewritten in RFC 5952 text (2001:db8::1), the text the programs key by, and greylite23_import (when, Unix
-- seconds) once greylite 2.3's verified and pending tables, found beside these, were imported.
CREATE TABLE IF NOT EXISTS greydb_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO greydb_meta (key, value) VALUES ('schema_version', '1');
