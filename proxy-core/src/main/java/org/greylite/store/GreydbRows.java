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

    /**
     * As {@link #triplet}, for an administrator's listing: a time out of {@link Instant}'s range (a row written by
     * hand, or damaged) is {@link Instant#MIN} or {@link Instant#MAX} instead of failing the whole list, so that the
     * list can show the row, marked, and {@code db delete} can still remove it.
     */
    static Triplet tripletAsStored(ResultSet rs, int first) throws SQLException {
        return new Triplet(rs.getInt(first), asStored(rs.getLong(first + 1)), asStored(rs.getLong(first + 2)),
                nullableAsStored(rs, first + 3));
    }

    /** Unix seconds, {@link Instant#MIN} or {@link Instant#MAX} when out of range (see {@link #tripletAsStored}). */
    static Instant asStored(long seconds) {
        if (seconds > Instant.MAX.getEpochSecond()) {
            return Instant.MAX;
        }
        return seconds < Instant.MIN.getEpochSecond() ? Instant.MIN : Instant.ofEpochSecond(seconds);
    }

    private static Instant nullableAsStored(ResultSet rs, int column) throws SQLException {
        long seconds = rs.getLong(column);
        return rs.wasNull() ? null : asStored(seconds);
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

    /**
     * {@code client, black (0 or 1), created, expires, comment}; times out of range as in {@link #tripletAsStored}
     * (one such entry made the whole list unreadable, for the engine too).
     */
    static ListEntry listEntry(ResultSet rs) throws SQLException {
        return new ListEntry(rs.getString(1), rs.getInt(2) == 1, asStored(rs.getLong(3)), nullableAsStored(rs, 4),
                rs.getString(5));
    }

    /** {@code client, source, created, last_seen, expires, comment}; times out of range as in {@link #tripletAsStored}. */
    static GreydbAdmin.WhitelistRow whitelistRow(ResultSet rs) throws SQLException {
        return new GreydbAdmin.WhitelistRow(rs.getString(1), rs.getString(2), asStored(rs.getLong(3)),
                asStored(rs.getLong(4)), nullableAsStored(rs, 5), rs.getString(6));
    }
}
