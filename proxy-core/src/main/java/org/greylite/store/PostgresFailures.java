package org.greylite.store;

import java.io.FileNotFoundException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;

/**
 * What an error from the PostgreSQL driver or the pool means for a greydb: the server out of reach (a service waits
 * for it, failing open meanwhile), a connection broken under a statement (worth one more try), or a refusal only the
 * administrator can mend (a password, a database, a certificate, a pooler's configuration), and the server's own
 * words for it. {@link PostgresGreydb} acts on these; the kinds are told apart here, by SQLState and cause.
 */
final class PostgresFailures {

    private PostgresFailures() {
    }

    /**
     * What failed, for a failure that is not the server out of reach: "cannot connect: WHY" for a refusal at login
     * (a password, with where it comes from; a database, a certificate, a pooler's refusal), else "{@code what}:
     * the server's words", with the way out when the driver's prepared statements were lost to a pooler.
     *
     * @param passwordFound whether a password was given to the driver (PGPASSWORD, a password file)
     */
    static String refusal(String what, SQLException e, boolean passwordFound) {
        SQLException server = innermost(e);
        String state = server.getSQLState() == null ? "" : server.getSQLState();
        String said = server.getMessage() == null ? "" : server.getMessage();
        if (state.startsWith("28") || state.equals(CONNECTION_REJECTED) && said.contains("password")) {
            if (!passwordFound && said.contains("password")) {
                // The driver's words are about the empty password it was given in place of none.
                said = "the server asks for a password, but no password was provided";
            }
            return "cannot connect: " + said
                    + " (the password comes from PGPASSWORD, or from the password file: the URL's passfile, else"
                    + " PGPASSFILE, else ~/.pgpass)";
        }
        if (state.equals("3D000") || state.equals(CONNECTION_REJECTED) || serverNotVerified(e) || poolerRefused(e)) {
            return "cannot connect: " + server.getMessage();
        }
        if (driverStatementLost(state, said)) {
            return what + ": " + said + TRANSACTION_POOLING;
        }
        return what + ": " + server.getMessage();
    }

    /** True when the statement found a table of the greydb missing ("relation ... does not exist"). */
    static boolean tablesGone(SQLException e) {
        return UNDEFINED_TABLE.equals(innermost(e).getSQLState());
    }

    /** The pool wraps what the server said (a wrong password, a missing database): the server's own error. */
    static SQLException innermost(SQLException e) {
        SQLException server = e;
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                server = s;
            }
        }
        return server;
    }

    static String serverWords(SQLException e) {
        return String.valueOf(innermost(e).getMessage());
    }

    /**
     * What to do when the JDBC driver's own prepared statements went missing, or appeared twice, on the server: the
     * driver names them S_1, S_2... once a statement has run a few times on a connection, and keeps using them on it,
     * but a pooler in transaction mode gives each transaction whichever server connection is free.
     */
    private static final String TRANSACTION_POOLING = " (the JDBC driver's prepared statements do not survive from one"
            + " transaction to the next: a pooler in transaction mode, such as PgBouncer's pool_mode = transaction,"
            + " between greylite and PostgreSQL? Add prepareThreshold=0 to the URL)";

    /**
     * True for "prepared statement "S_1" does not exist" (26000) and "... already exists" (42P05) about a statement of
     * the driver's: greylite never prepares one by name itself.
     */
    private static boolean driverStatementLost(String state, String said) {
        return (state.equals("26000") || state.equals("42P05")) && said.contains("prepared statement \"S_");
    }

    /**
     * True when {@code e} says the connection broke under us (the server stopped or restarted, the session
     * was terminated): failing fast, nothing written, worth one more try on another connection.
     */
    static boolean brokenConnection(SQLException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SocketTimeoutException) {
                return false; // slow, not broken: trying again would double the wait
            }
        }
        String state = e.getSQLState();
        return state != null && (state.equals("57P01") || state.equals("57P02") || state.equals("08003")
                || state.equals("08006"));
    }

    /** The server's state for "relation ... does not exist". */
    private static final String UNDEFINED_TABLE = "42P01";

    /**
     * The driver's state when it will not go on with what the server asked for at login: a password when none
     * was given (no PGPASSWORD, no line in the password file), an authentication method it does not speak, SSL
     * the server does not offer. Only the administrator can change that, as a wrong password: it is not the
     * server being down, which a service starts without and waits for (started so, it failed open for ever).
     */
    private static final String CONNECTION_REJECTED = "08004";

    /** True when {@code t} says the server cannot be reached (rather than that it refused something). */
    static boolean unreachable(Throwable t) {
        if (serverNotVerified(t) || poolerRefused(t)) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof UnknownHostException
                    || c instanceof SocketTimeoutException) {
                return true;
            }
            if (c instanceof SQLException s) {
                String state = s.getSQLState();
                if (state != null && !state.equals(CONNECTION_REJECTED)
                        && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300"))) {
                    return true;
                }
                if (state == null && s instanceof SQLTransientConnectionException) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * True when {@code t} says the server answered but TLS could not check it, as {@code sslmode=verify-ca} or
     * {@code verify-full} asks: the CA file ({@code sslrootcert}, else {@code ~/.postgresql/root.crt}) or another
     * file the URL names missing or unreadable, a certificate no CA of the file signed, a certificate for another
     * host name. The driver gives these the state of a broken connection (08006), but only the administrator can
     * change them, as a wrong password: a service that started without the greydb on one of them, to wait for a
     * server that "answers again", failed open for as long as it ran.
     */
    static boolean serverNotVerified(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateException || c instanceof FileNotFoundException
                    || c instanceof NoSuchFileException || c instanceof AccessDeniedException) {
                return true;
            }
            if (c instanceof SQLException && c.getMessage() != null
                    && c.getMessage().contains("could not be verified by hostnameverifier")) {
                return true;
            }
        }
        return false;
    }

    /**
     * What PgBouncer says, with the state of a protocol violation (08P01), to a client it will never let in: a
     * database or a user its configuration does not name, a startup parameter it does not take. It gives the same
     * state to "pgbouncer cannot connect to server" and "query_wait_timeout", which are the server down; these are
     * the administrator's to change, as a missing database is when PostgreSQL is reached directly: a service started
     * on one waited for ever, failing open at every RCPT.
     */
    private static final List<String> POOLER_REFUSALS = List.of("no such database", "no such user",
            "unsupported startup parameter");

    /** True when {@code t} is PgBouncer refusing us for good ({@link #POOLER_REFUSALS}). */
    static boolean poolerRefused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s && "08P01".equals(s.getSQLState()) && s.getMessage() != null
                    && POOLER_REFUSALS.stream().anyMatch(s.getMessage()::contains)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The driver's state for a connection it had already closed ("This connection has been closed."): the pool met it
     * checking a connection to a server that stopped answering, and said it as the reason it had none to give. It
     * says nothing of the server; the pool's own timeout ("no answer within ...") does.
     */
    static final String CONNECTION_GONE = "08003";
}
