package org.greylite.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL server that takes our connections but no writes: a hot standby (the old primary after a failover,
 * still reached by the name, address or first host of {@code --db}), or {@code default_transaction_read_only} on for
 * the server, the database or the role. Every write there fails with SQLSTATE 25006 ("cannot execute INSERT in a
 * read-only transaction"); reads go through.
 *
 * <p>A session keeps the server it was opened on, and a database's or role's settings are read when it starts: the
 * pool's connections can all be read-only while a new connection would reach the new primary. So the answer to a
 * 25006 is new connections ({@link PostgresGreydb#dropReadOnlyConnections}), not the same ones again.
 */
final class PostgresReadOnly {

    /** SQLSTATE read_only_sql_transaction. */
    static final String STATE = "25006";

    /** What the administrator reads after the server's words, in the log and in a command's error. */
    static final String WHY = " (a hot standby: after a failover, --db still leads to the old primary; name every"
            + " server there with targetServerType=primary. Or default_transaction_read_only is on for the server, the"
            + " database or the role)";

    private PostgresReadOnly() {
    }

    /** True when {@code e}, or an error it wraps, is the server refusing a write in a read-only transaction. */
    static boolean refusedWrite(SQLException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException s && STATE.equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a transaction on {@code conn} may write, asked in a transaction of its own: on a standby, and under
     * {@code default_transaction_read_only}, {@code transaction_read_only} starts on.
     */
    static boolean writable(Connection conn) throws SQLException {
        boolean readOnly;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('transaction_read_only') = 'on'")) {
            rs.next();
            readOnly = rs.getBoolean(1);
        }
        conn.commit();
        return !readOnly;
    }
}
