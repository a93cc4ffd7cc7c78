package org.greylite.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * How greydb rows become values and keys become parameters, the same for SQLite and PostgreSQL.
 * Column layouts are those of the queries named in each method.
 */
final class GreydbRows {

    private GreydbRows() {
    }

    /** A nullable Unix-seconds column. */
    static Instant instant(ResultSet rs, int column) throws SQLException {
        long seconds = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochSecond(seconds);
    }

    /** {@code refusals, first_seen, last_seen, passed_at}, starting at {@code first}. */
    static Triplet triplet(ResultSet rs, int first) throws SQLException {
        return new Triplet(rs.getInt(first), Instant.ofEpochSecond(rs.getLong(first + 1)),
                Instant.ofEpochSecond(rs.getLong(first + 2)), instant(rs, first + 3));
    }

    /** {@code client, sender, recipient}. */
    static TripletKey key(ResultSet rs) throws SQLException {
        return new TripletKey(rs.getString(1), rs.getString(2), rs.getString(3));
    }

    /** Parameters 1 to 3: client, sender, recipient. */
    static void bind(PreparedStatement st, TripletKey key) throws SQLException {
        st.setString(1, key.client());
        st.setString(2, key.sender());
        st.setString(3, key.recipient());
    }

    /** {@code client, black (0 or 1), created, expires, comment}. */
    static ListEntry listEntry(ResultSet rs) throws SQLException {
        return new ListEntry(rs.getString(1), rs.getInt(2) == 1, Instant.ofEpochSecond(rs.getLong(3)), instant(rs, 4),
                rs.getString(5));
    }

    /** {@code client, source, created, last_seen, expires, comment}. */
    static GreydbAdmin.WhitelistRow whitelistRow(ResultSet rs) throws SQLException {
        return new GreydbAdmin.WhitelistRow(rs.getString(1), rs.getString(2), Instant.ofEpochSecond(rs.getLong(3)),
                Instant.ofEpochSecond(rs.getLong(4)), instant(rs, 5), rs.getString(6));
    }
}
