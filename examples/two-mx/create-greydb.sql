-- The shared greydb for several MX hosts: one role and one database on the PostgreSQL server.
-- Run as a PostgreSQL superuser on the database host, e.g.:
--   sudo -u postgres psql -f create-greydb.sql
-- then set the role's password (kept out of this file and out of shell history):
--   sudo -u postgres psql -c '\password greylite'
-- and let the MX hosts in (pg_hba.conf), for example:
--   hostssl greylite greylite 192.0.2.25/32 scram-sha-256
--   hostssl greylite greylite 192.0.2.26/32 scram-sha-256
-- with listen_addresses in postgresql.conf including an address the MX hosts reach.

CREATE ROLE greylite LOGIN;
CREATE DATABASE greylite OWNER greylite;

-- The tables (greydb-postgresql.sql at the top of the source tree) are created by the first greylited
-- (or greylite-policy, greydaemon) that connects, as the owner; greylitectl makes them only with db init.
-- To create them now instead, from any MX host:
--   greylitectl db init --db postgresql://greylite@db.example.net/greylite
-- If the MX hosts should connect as a role that may not create tables, create them as the owner
-- (as above), then:
--   CREATE ROLE greylite_mx LOGIN;
--   GRANT CONNECT ON DATABASE greylite TO greylite_mx;
--   \c greylite
--   GRANT USAGE ON SCHEMA public TO greylite_mx;  -- where USAGE was revoked from PUBLIC (hardened setups)
--   GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO greylite_mx;
-- (ON ALL TABLES grants on the tables there are: run it once they are made.)
