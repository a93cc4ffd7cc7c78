package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;

/** A real SQLite greydb holding many pending triplets, written straight into the file in one transaction. */
final class ManyTriplets {

    private ManyTriplets() {
    }

    /**
     * Makes the greydb at {@code db} (its schema, as the programs make it) and adds {@code rows} pending triplets, each
     * of its own client, sender and recipient, first and last seen at {@code seen} (Unix seconds).
     */
    static Path greydb(Path db, int rows, long seen) throws Exception {
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            c.setAutoCommit(false);
            try (PreparedStatement st = c.prepareStatement("INSERT INTO triplet (client, sender, recipient, refusals,"
                    + " first_seen, last_seen) VALUES (?, ?, ?, 1, ?, ?)")) {
                for (int i = 0; i < rows; i++) {
                    st.setString(1, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255));
                    st.setString(2, "s" + i + "@example.org");
                    st.setString(3, "r" + i + "@example.com");
                    st.setLong(4, seen);
                    st.setLong(5, seen);
                    st.addBatch();
                }
                st.executeBatch();
            }
            c.commit();
        }
        return db;
    }
}
