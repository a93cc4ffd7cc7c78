package org.greylite.store;

import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool of connections to a PostgreSQL greydb, shared by the engine's store and
 * the administrators' ({@link PostgresDialect}): every part of greylite connects the same way.
 *
 * <ul>
 * <li>Bounded waits ({@link GreydbOptions#timeout()}): for a pooled connection, for the TCP connect and
 * the login (a command's: {@value PostgresUse#COMMAND_CONNECT_SECONDS} s at most; the URL's
 * {@code connectTimeout} and {@code loginTimeout} win), for locks ({@code lock_timeout}) and statements
 * ({@code statement_timeout}, both set on each new connection unless a DBA's are stricter:
 * {@link PostgresSessionSettings}); socket reads
 * one second more, so the server's own timeout normally fires first and the connection stays usable. A
 * host that died inside a transaction releases its locks within a few timeouts
 * ({@code idle_in_transaction_session_timeout}), not when TCP notices.
 * <li>Read committed, autocommit off: each operation is one explicit transaction.
 * <li>The server may be down when we start and may go away at any time: the pool does not fail at
 * start-up and replaces broken connections by itself, so service resumes when the server returns. A server that
 * turned read-only under the pool (a failover: {@link PostgresReadOnly}) has the pool's connections dropped, and is
 * treated as down while new ones land on a read-only server too.
 * Errors become {@link StoreException}s that name the greydb and the cause ("cannot connect:
 * Connection refused"); losing and regaining the server is logged once each way. That is for the programs
 * that run for long ({@link PostgresUse#SERVICE}); a command ({@link PostgresUse#COMMAND}) tries the server
 * once, within a short connect timeout, and its error is the command's answer.
 * <li>The schema of {@code greydb-postgresql.sql} is applied when a table is missing, at the first
 * connection that works, and again after a statement found a table missing (the database was dropped and made
 * anew while we ran); then the IPv6 client keys an older version wrote are rewritten, once
 * ({@link Ipv6KeyMigration}).
 * <li>The server's clock is the greydb's: its offset from this host's is measured on the pool's connections, and the
 * times written and compared are this host's clock moved by it ({@link ServerClock}).
 * </ul>
 */
final class PostgresGreydb implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresGreydb.class);

    /**
     * Key of the advisory lock that serialises schema creation, and the rewrite of old keys, between hosts starting
     * together.
     */
    private static final long SCHEMA_LOCK = 0x6772_6579_6462_0001L; // "greydb" + 1

    private final GreydbLocation.Postgres location;
    private final HikariDataSource pool;
    private final long timeoutMillis;
    private final ConnectTimeouts connectTimeouts;
    private final PostgresUse use;
    private final boolean passwordFound; // false: none in PGPASSWORD or a password file, and the driver is given ""
    private final AtomicBoolean down = new AtomicBoolean();
    /** Told when the server, lost, answers again (see {@link GreylistStore#onAnswersAgain}). */
    private final List<Runnable> answersAgain = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final AtomicBoolean droppedReadOnly = new AtomicBoolean(); // logged, until a transaction commits again
    private volatile String lastDown;
    private volatile boolean downReadOnly; // down because every new connection is read-only, not unreachable
    private volatile boolean schemaReady;
    private final ServerClock serverClock;

    private PostgresGreydb(GreydbLocation.Postgres location, HikariDataSource pool, long timeoutMillis,
            ConnectTimeouts connectTimeouts, PostgresUse use, boolean passwordFound) {
        this.passwordFound = passwordFound;
        this.location = location;
        this.pool = pool;
        this.timeoutMillis = timeoutMillis;
        this.connectTimeouts = connectTimeouts;
        this.use = use;
        this.serverClock = new ServerClock(location.describe());
    }

    /**
     * How long connecting may take, in seconds (0: no limit), as the JDBC driver's {@code connectTimeout} (the
     * TCP connect) and {@code loginTimeout} (the whole connection attempt, TLS and login included); the URL's
     * parameters of those names win, as every driver parameter given there does.
     */
    private record ConnectTimeouts(int connectSeconds, int loginSeconds) {

        static ConnectTimeouts of(GreydbLocation.Postgres location, int defaultSeconds) {
            int connect = seconds(location, "connectTimeout", defaultSeconds);
            return new ConnectTimeouts(connect, seconds(location, "loginTimeout", connect));
        }

        /** The URL's value when it is a number of seconds (anything else is the driver's to report), else {@code dflt}. */
        private static int seconds(GreydbLocation.Postgres location, String parameter, int dflt) {
            String value = location.parameters().get(parameter);
            try {
                return value == null ? dflt : Math.max(0, Integer.parseInt(value.trim()));
            } catch (NumberFormatException e) {
                return dflt;
            }
        }
    }

    /**
     * Makes the pool and tries the server once, applying the schema if needed.
     *
     * @param use {@link PostgresUse#COMMAND}: the server is tried straight away, and one that cannot be reached
     *            is an error (greylitectl); {@link PostgresUse#SERVICE}: it is logged and tried again in the
     *            background (greylited starts and fails open meanwhile)
     * @throws StoreException when the server refuses us (password, database, privileges), or cannot be
     *                        reached and {@code use} is a command
     */
    static PostgresGreydb open(GreydbLocation.Postgres location, GreydbOptions options, PostgresUse use) {
        ClientKeyFile.check(location);
        long ms = Math.max(250, options.timeout().toMillis());
        int seconds = (int) Math.max(1, (ms + 999) / 1000);
        ConnectTimeouts connectTimeouts = ConnectTimeouts.of(location, use.connectSeconds(seconds));
        HikariConfig c = new HikariConfig();
        c.setPoolName("greydb");
        c.setJdbcUrl(location.jdbcUrl());
        c.setUsername(location.user());
        String password = PgPassword.lookup(location, options.env());
        // Never null: given none, the driver reads PGPASSFILE or ~/.pgpass itself, without the mode check libpq
        // makes, and would use a password file that group or others may read, which the lookup just refused.
        c.setPassword(password == null ? "" : password);
        c.setMaximumPoolSize(options.connections());
        // A command takes a connection when it needs one; a service keeps some ready for the next RCPTs.
        c.setMinimumIdle(use.retriesInBackground() ? Math.min(options.connections(), 2) : 0);
        c.setAutoCommit(false);
        c.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        c.setConnectionTimeout(ms);
        c.setValidationTimeout(Math.max(250, Math.min(ms, 2000)));
        c.setInitializationFailTimeout(-1); // start even when the server is down; errors come per operation
        c.addDataSourceProperty("ApplicationName", "greylite");
        c.addDataSourceProperty("connectTimeout", connectTimeouts.connectSeconds());
        c.addDataSourceProperty("loginTimeout", connectTimeouts.loginSeconds());
        c.addDataSourceProperty("socketTimeout", seconds + 1);
        c.addDataSourceProperty("tcpKeepAlive", true);
        for (Map.Entry<String, String> p : location.parameters().entrySet()) {
            if (!p.getKey().equals(PgPassword.PARAMETER)) { // read above, libpq's: the driver has no such property
                c.addDataSourceProperty(p.getKey(), p.getValue());
            }
        }
        String settings = PostgresSessionSettings.sql(ms, location.parameters().get("options"));
        if (!settings.isEmpty()) {
            c.setConnectionInitSql(settings);
            c.setIsolateInternalQueries(true); // committed on its own, or the first decision's rollback would undo it
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new StoreException(location.describe() + ": " + e.getMessage(), e);
        }
        PostgresGreydb db = new PostgresGreydb(location, pool, ms, connectTimeouts, use, password != null);
        try {
            // Past the pool first, a service too: it waits for a server that does not answer (yet), but not for
            // one that refused us, which the pool would try again and again for the whole timeout.
            db.connectOnce();
            try (Connection conn = db.connection()) {
                conn.commit();
            }
        } catch (StoreException e) {
            if (!use.retriesInBackground() || !PostgresFailures.unreachable(e.getCause())) {
                db.close();
                throw e;
            }
            LOG.error("{}; starting anyway: RCPTs are decided as greydb failures until the server answers",
                    e.getMessage());
        } catch (SQLException e) {
            db.close();
            throw db.failure("cannot start", e);
        }
        return db;
    }

    /**
     * One connection straight from the driver, past the pool, closed at once. The pool cannot tell "refused"
     * from "not yet": asked for a connection, it tries again and again until its own timeout (the busy timeout)
     * has passed, so a command, or a service starting, would wait all of it to report a server that refused at
     * the first try. Here a refusal, a wrong password or a missing database fails at once, and a server that
     * does not answer after the connect timeout; a service leaves that last case to the pool.
     *
     * @throws StoreException saying which server and why, as {@link #failure} words it
     */
    private void connectOnce() {
        Properties properties = new Properties();
        // As the pool's own connections are made: every driver property, the user and the password.
        pool.getDataSourceProperties().forEach((k, v) -> properties.setProperty(k.toString(), v.toString()));
        properties.setProperty("user", pool.getUsername());
        if (pool.getPassword() != null) {
            properties.setProperty("password", pool.getPassword());
        }
        try {
            DriverManager.getConnection(pool.getJdbcUrl(), properties).close();
        } catch (SQLException e) {
            if (use.retriesInBackground() && PostgresFailures.unreachable(e)) {
                // Not an answer yet (a connection refused, or slow: a first TLS handshake in a JVM just started on a
                // busy host can outlast the connect timeout): the pool's attempts, for its whole timeout, decide.
                return;
            }
            throw failure("cannot connect", e);
        }
    }

    /**
     * A connection from the pool, in a fresh transaction; the schema is checked on the first one.
     *
     * <p>While the server is known to be down every caller fails at once with the last error, and a thread of
     * its own waits for the server instead ({@link #probeUntilReachable}). Otherwise every RCPT would wait the
     * whole timeout, the decision threads would fall behind, and RCPTs would queue far longer; and an RCPT chosen
     * to find out whether the server is back would still wait the whole timeout every so often.
     */
    Connection connection() {
        if (down.get()) {
            throw new StoreException(lastDown);
        }
        Connection conn;
        try {
            conn = pool.getConnection();
        } catch (SQLException e) {
            throw failure("cannot connect", e);
        }
        if (!schemaReady) {
            try {
                ensureSchema(conn);
            } catch (SQLException | RuntimeException e) {
                try {
                    conn.close();
                } catch (SQLException ignored) {
                    // already failing
                }
                throw e instanceof SQLException s ? failure("cannot prepare the greydb's tables", s) : (RuntimeException) e;
            }
        }
        serverClock.measureIfDue(conn);
        return conn;
    }

    /** {@code hostClock} on the server's time ({@link ServerClock}): the clock of the times this greydb holds. */
    Clock sharedClock(Clock hostClock) {
        return serverClock.applyTo(hostClock);
    }

    private synchronized void ensureSchema(Connection conn) throws SQLException {
        if (schemaReady) {
            return;
        }
        PostgresSearchPath.requireSchema(conn, describe(), location.user());
        try (Statement st = conn.createStatement()) {
            // From the catalogue, not information_schema, which shows a role only the tables it holds a privilege on:
            // a role granted nothing took a greydb for an empty database and tried to make its tables.
            Set<String> existing = new HashSet<>();
            try (ResultSet rs = st.executeQuery("SELECT relname FROM pg_class"
                    + " WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'v', 'f')")) {
                while (rs.next()) {
                    existing.add(rs.getString(1));
                }
            }
            conn.commit();
            if (!use.createsTables() && !existing.contains("triplet")) {
                throw new StoreException(describe() + ": a PostgreSQL database, but not a greydb (it has no triplet"
                        + " table in schema " + currentSchema(st) + "; greylitectl db init adds the greydb's tables)");
            }
            Set<String> greydbTables = new TreeSet<>(GreydbSchema.tables());
            greydbTables.retainAll(existing);
            // Before anything reads them, so that what stops the role is said with the grant that ends it, not
            // as the first statement the server refused.
            if (use.retriesInBackground()) {
                refuseRoleThatCannotWrite(conn, greydbTables);
            } else {
                refuseRoleThatCannotRead(conn, greydbTables);
            }
            try {
                GreydbSchemaVersion.check(conn, existing.contains("greydb_meta"));
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw new StoreException(describe() + " cannot be used: " + e.getMessage(), e);
            }
            if (!existing.containsAll(GreydbSchema.tables())) {
                Set<String> missing = new TreeSet<>(GreydbSchema.tables());
                missing.removeAll(existing);
                refuseRoleThatCannotCreate(conn, missing);
                // Several hosts may start on a new database at once; concurrent CREATE TABLE IF NOT EXISTS
                // can still collide in the catalogue, so they take turns. DDL is transactional here.
                try {
                    st.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
                    for (String sql : GreydbSchema.postgresqlStatements()) {
                        st.execute(sql);
                    }
                    conn.commit();
                    LOG.info("{}: greydb tables created", describe());
                } catch (SQLException e) {
                    conn.rollback();
                    throw e;
                }
            }
            refuseTablesNotMadeBySchema(conn);
            rewriteOldIpv6Keys(conn, st);
        }
        schemaReady = true;
    }

    /**
     * Refuses tables without the columns or primary key of greydb-postgresql.sql: every decision would fail on them.
     *
     * @throws StoreException naming each table and what it lacks
     */
    private void refuseTablesNotMadeBySchema(Connection conn) throws SQLException {
        String lacking = PostgresColumns.lacking(conn, GreydbSchema.tables());
        if (!lacking.isEmpty()) {
            throw new StoreException(describe() + ": " + lacking + ": the greydb was not made by"
                    + " greydb-postgresql.sql. Make the tables as it declares them, or drop them (their rows cannot be"
                    + " used as they are) and let the programs make them");
        }
    }

    /**
     * Refuses a program that decides when its role may not write the greydb's {@code tables} (those there already;
     * a table it makes is its own): it would fail open at every RCPT.
     *
     * @throws StoreException naming the role, what it lacks and the grant that ends it
     */
    private void refuseRoleThatCannotWrite(Connection conn, Set<String> tables) throws SQLException {
        refuseReadOnlyServer(conn);
        List<String> lacking = PostgresPrivileges.missing(conn, tables, PostgresPrivileges.NEEDED);
        if (!lacking.isEmpty()) {
            throw new StoreException(describe() + ": role " + location.user() + " may not write the greydb (no "
                    + String.join("; no ", lacking) + "); every RCPT would be decided as a greydb failure. As the tables'"
                    + " owner: GRANT " + String.join(", ", PostgresPrivileges.NEEDED) + " ON ALL TABLES IN SCHEMA "
                    + currentSchema(conn) + " TO " + quotedRole());
        }
    }

    /**
     * Refuses a command whose role may not read the greydb's {@code tables}: every command reads them, and the
     * server's refusal of the first statement ("permission denied for table greydb_meta") names no grant. Changes
     * are not asked for: a role that may only read serves {@code db list} and {@code db stats}.
     *
     * @throws StoreException naming the role, what it lacks and the grant that ends it
     */
    private void refuseRoleThatCannotRead(Connection conn, Set<String> tables) throws SQLException {
        List<String> lacking = PostgresPrivileges.missing(conn, tables, List.of("SELECT"));
        if (!lacking.isEmpty()) {
            List<String> changes = PostgresPrivileges.NEEDED.stream().filter(p -> !p.equals("SELECT")).toList();
            throw new StoreException(describe() + ": role " + location.user() + " may not read the greydb (no "
                    + String.join("; no ", lacking) + "). As the tables' owner: GRANT SELECT ON ALL TABLES IN SCHEMA "
                    + currentSchema(conn) + " TO " + quotedRole() + " (and " + String.join(", ", changes)
                    + " for the commands that change it)");
        }
    }

    /**
     * Refuses a role that may not make the {@code missing} tables in the schema they go in (PostgreSQL 15 no longer
     * lets every role make tables in schema public): the server's refusal ("permission denied for schema public",
     * and a "Position:" line) said neither which tables nor the two ways out.
     *
     * @throws StoreException naming the role, the tables, the schema and the grants
     */
    private void refuseRoleThatCannotCreate(Connection conn, Set<String> missing) throws SQLException {
        boolean mayCreate;
        String schema;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT has_schema_privilege(current_schema(), 'CREATE'), current_schema()")) {
            rs.next();
            mayCreate = rs.getBoolean(1) || rs.getString(2) == null; // no schema at all: the server's own words say so
            schema = rs.getString(2);
        }
        conn.commit();
        if (!mayCreate) {
            throw new StoreException(describe() + ": role " + location.user() + " may not make the greydb's tables ("
                    + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " missing; it has no CREATE"
                    + " on schema " + schema + "). Have them made by a role that may (the database's owner: greylitectl"
                    + " db init, or psql -f greydb-postgresql.sql), then GRANT " + String.join(", ", PostgresPrivileges.NEEDED)
                    + " ON ALL TABLES IN SCHEMA " + schema + " TO " + quotedRole() + "; or let this one make them: GRANT"
                    + " CREATE ON SCHEMA " + schema + " TO " + quotedRole());
        }
    }

    /** The role as SQL names it, to paste in a GRANT. */
    private String quotedRole() {
        return "\"" + location.user().replace("\"", "\"\"") + "\"";
    }

    private static String currentSchema(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            return currentSchema(st);
        }
    }

    /**
     * Refuses a program that decides when every transaction of its session is read-only: a hot standby (a replica,
     * or the old primary after a failover, named in {@code --db}), or {@code default_transaction_read_only} set on
     * the server, the database or the role. The role's grants say nothing of this, and the program started and
     * failed open at every RCPT ("cannot execute INSERT in a read-only transaction").
     *
     * @throws StoreException saying which of the two it is and what to do
     */
    private void refuseReadOnlyServer(Connection conn) throws SQLException {
        boolean readOnly;
        boolean standby;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('transaction_read_only') = 'on', pg_is_in_recovery()")) {
            rs.next();
            readOnly = rs.getBoolean(1);
            standby = rs.getBoolean(2);
        }
        conn.commit();
        if (standby) {
            throw new StoreException(describe() + ": the server is a standby (in recovery, read-only); every RCPT"
                    + " would be decided as a greydb failure. Name the primary in --db, or every server with"
                    + " targetServerType=primary");
        }
        if (readOnly) {
            throw new StoreException(describe() + ": transactions are read-only for role " + location.user()
                    + " (default_transaction_read_only is on, for the server, the database or the role); every RCPT would"
                    + " be decided as a greydb failure. Turn it off for the greydb: ALTER DATABASE ... SET"
                    + " default_transaction_read_only = off, or ALTER ROLE");
        }
    }

    /** The schema tables are looked for and made in (the first of the role's search_path that exists). */
    private static String currentSchema(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT current_schema()")) {
            String schema = rs.next() ? rs.getString(1) : null;
            st.getConnection().commit();
            return schema == null ? "(none: the search_path names no schema that exists)" : schema;
        }
    }

    /**
     * Runs {@link Ipv6KeyMigration} unless it is done already (one read, the usual case), under the advisory lock
     * schema creation takes, so that of several hosts starting on an older greydb at once one rewrites it and the
     * others find it done.
     */
    private void rewriteOldIpv6Keys(Connection conn, Statement st) throws SQLException {
        boolean done = Ipv6KeyMigration.done(conn);
        conn.commit();
        if (done) {
            return;
        }
        Ipv6KeyMigration.Result result;
        try {
            st.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            result = Ipv6KeyMigration.run(conn);
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            conn.rollback();
            throw e;
        }
        Ipv6KeyMigration.report(describe(), result);
    }

    /** How long the probe rests between tries that failed at once (a refused connection). */
    private static final long PROBE_PAUSE_MILLIS = 1000;

    /**
     * While the server is down, asks the pool for a connection again and again on a thread of its own, each try
     * bounded by the pool's timeout, until one comes that may write ({@link #reachable}) or the greydb is closed. A
     * connection to a read-only server is dropped, so that the next try is a new one.
     */
    private void probeUntilReachable() {
        if (!probing.compareAndSet(false, true)) {
            return;
        }
        Thread probe = new Thread(() -> {
            try {
                while (down.get() && !pool.isClosed()) {
                    try (Connection c = pool.getConnection()) {
                        if (PostgresReadOnly.writable(c)) {
                            // Before the RCPTs resume: each takes its time before its connection, and the first would
                            // otherwise be timed by this host's clock when the server was down since the start.
                            serverClock.measureIfDue(c);
                            reachable();
                        } else {
                            answersReadOnly();
                            pool.evictConnection(c);
                            Thread.sleep(PROBE_PAUSE_MILLIS);
                        }
                    } catch (SQLException e) {
                        failure("cannot connect", e); // keeps the error RCPTs are answered with current
                        Thread.sleep(PROBE_PAUSE_MILLIS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                probing.set(false);
            }
            if (down.get() && !pool.isClosed()) {
                probeUntilReachable(); // lost again between the last look and the end of this probe
            }
        }, "greydb-probe");
        probe.setDaemon(true);
        probe.start();
    }

    /**
     * Notes that the probe reached a server that refuses writes: the error RCPTs are answered with, and the log once,
     * say so. Otherwise a server that came back read-only (the old primary restarted as a standby, still the one
     * named) went on being reported as "cannot connect", the error of when it was down.
     */
    private void answersReadOnly() {
        lastDown = describe() + ": the server answers but refuses writes (transaction_read_only is on)"
                + PostgresReadOnly.WHY;
        if (!downReadOnly) {
            downReadOnly = true;
            LOG.warn("{}; new connections tried in the background until one may write", lastDown);
        }
    }

    /** Notes that a transaction went through (logged when the server had been lost). */
    void reachable() {
        if (droppedReadOnly.get()) {
            droppedReadOnly.set(false); // read first: every transaction comes here, and a write is dearer
        }
        if (down.compareAndSet(true, false)) {
            LOG.warn(downReadOnly ? "{}: a new connection may write again" : "{}: the server answers again", describe());
            answersAgain.forEach(Runnable::run);
        }
    }

    void onAnswersAgain(Runnable listener) {
        answersAgain.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /**
     * When {@code e} is a write refused as read-only ({@link PostgresReadOnly}): drops every connection of the pool
     * (idle ones now, those in use when they are given back), since they were opened on the same server, and logs
     * that once. The caller tries again on a new connection; nothing was written.
     *
     * @return whether {@code e} was such a refusal
     */
    boolean dropReadOnlyConnections(SQLException e) {
        if (!PostgresReadOnly.refusedWrite(e)) {
            return false;
        }
        if (pool.getHikariPoolMXBean() != null) {
            pool.getHikariPoolMXBean().softEvictConnections();
        }
        if (use.retriesInBackground() && droppedReadOnly.compareAndSet(false, true)) {
            LOG.warn("{}: a pooled connection's server refuses writes ({}){}; the pool's connections are closed and"
                    + " new ones made", describe(), PostgresFailures.serverWords(e), PostgresReadOnly.WHY);
        }
        return true;
    }

    /**
     * An error for the administrator: the greydb, what failed, and the root cause. A connection problem
     * reads "URL: cannot connect: Connection refused" whatever was being done.
     */
    StoreException failure(String what, SQLException e) {
        String message;
        if (PostgresFailures.unreachable(e)) {
            message = describe() + ": cannot connect: " + connectionCause(e);
            if (use.retriesInBackground()) {
                lastDown = message;
                downReadOnly = false;
                if (down.compareAndSet(false, true)) {
                    LOG.warn("{}; tried again in the background until it answers", message);
                    probeUntilReachable();
                }
            }
        } else if (PostgresReadOnly.refusedWrite(e)) {
            message = describe() + ": " + what + ": " + PostgresFailures.serverWords(e) + PostgresReadOnly.WHY;
            if (use.retriesInBackground()) {
                // New connections landed on a read-only server too: as a server down, the RCPTs fail at once and
                // a thread of its own tries new connections, rather than each RCPT making one.
                message = describe() + ": the server refuses writes on new connections too: " + PostgresFailures.serverWords(e)
                        + PostgresReadOnly.WHY;
                lastDown = message;
                downReadOnly = true;
                if (down.compareAndSet(false, true)) {
                    LOG.warn("{}; new connections tried in the background until one may write", message);
                    probeUntilReachable();
                }
            }
        } else {
            if (PostgresFailures.tablesGone(e)) {
                // The tables were there when this greydb was opened, and are gone: the database was dropped and made
                // anew, or restored without them. Looked for again at the next connection, and made, as at start;
                // otherwise every RCPT would be a greydb failure until the program is restarted.
                schemaReady = false;
            }
            message = describe() + ": " + PostgresFailures.refusal(what, e, passwordFound);
        }
        return new StoreException(message, e);
    }

    /** The innermost message worth showing: "Connection refused", "timed out after 3 s"... */
    private String connectionCause(Throwable t) {
        String timedOut = connectTimedOut(t);
        if (timedOut != null) {
            return timedOut;
        }
        String best = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.io.IOException) {
                String m = c.getMessage();
                best = c instanceof UnknownHostException ? "unknown host " + m : m != null ? m : c.getClass().getSimpleName();
            } else if (best == null && c instanceof SQLException s && s.getCause() == null
                    && !PostgresFailures.CONNECTION_GONE.equals(s.getSQLState())) {
                best = c.getMessage();
            }
        }
        if (best == null || t instanceof SQLTransientConnectionException && t.getCause() == null) {
            int max = pool.getMaximumPoolSize();
            boolean allBusy = pool.getHikariPoolMXBean() != null && pool.getHikariPoolMXBean().getActiveConnections() >= max;
            best = allBusy ? "all " + max + " connections busy for " + timeoutMillis + " ms"
                    : "no answer within " + timeoutMillis + " ms";
        }
        return best;
    }

    /**
     * "timed out after 3 s" when {@code t} is a connection attempt that ran out of time, else null: the TCP
     * connect (a host that is off, a firewall that drops) or the whole attempt (a server that takes the
     * connection and says nothing). The driver's own words ("The connection attempt failed.") say neither.
     */
    private String connectTimedOut(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
            if (c instanceof SocketTimeoutException && m.contains("connect timed out")) {
                return "timed out after " + connectTimeouts.connectSeconds() + " s";
            }
            if (c instanceof SQLException s && "08001".equals(s.getSQLState()) && s.getCause() == null
                    && m.contains("timed out")) {
                return "timed out after " + connectTimeouts.loginSeconds() + " s"; // the driver's loginTimeout
            }
        }
        return null;
    }

    String describe() {
        return location.describe();
    }

    @Override
    public void close() {
        pool.close();
    }
}
