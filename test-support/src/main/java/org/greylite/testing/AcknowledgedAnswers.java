package org.greylite.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * The answers the clients of a kill -9 test ({@link LoadThenKill}) received, and the check that the SQLite greydb the
 * killed program left holds each of them as it was said (SPEC §3: the greydb never loses a decision it acknowledged):
 * every recipient of a refusal has its triplet's row, every pass its client on the auto-whitelist. Which answer is a
 * refusal and which a pass is the protocol's, so the test says it. The SQLite driver comes from the test's classpath.
 */
public final class AcknowledgedAnswers {

    /** What the greydb must show of a pass, beyond its refusals' rows. */
    public enum Pass {
        /** The client on the auto-whitelist. */
        CLIENT_WHITELISTED,
        /**
         * That, and the triplet of the message's first recipient passed: the first recipient is the one that passed
         * and whitelisted the client; the others passed as a whitelisted client's, without a pass of their own.
         */
        CLIENT_WHITELISTED_AND_FIRST_TRIPLET_PASSED
    }

    /** One answer a client received, for a message from {@code client} to {@code recipients}. */
    public record Answer(String client, List<String> recipients, String text) {
    }

    private final Queue<Answer> received = new ConcurrentLinkedQueue<>();
    private final Predicate<String> refusal;
    private final Predicate<String> pass;
    private final Pass passShows;

    /**
     * @param refusal whether an answer's text refuses (greylists) the message
     * @param pass whether an answer's text lets it pass; answers that do neither are not checked
     */
    public AcknowledgedAnswers(Predicate<String> refusal, Predicate<String> pass, Pass passShows) {
        this.refusal = refusal;
        this.pass = pass;
        this.passShows = passShows;
    }

    /** Records an answer a client received; safe from any client's thread. */
    public void add(String client, List<String> recipients, String text) {
        received.add(new Answer(client, recipients, text));
    }

    /** Asserts that the greydb holds every answer recorded, and that both refusals and passes were among them. */
    public void assertAllIn(Path greydb) throws SQLException {
        int refused = 0;
        int passed = 0;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + greydb)) {
            Map<String, Boolean> triplets = triplets(db);
            Set<String> whitelisted = whitelisted(db);
            for (Answer a : received) {
                if (refusal.test(a.text())) {
                    refused++;
                    for (String rcpt : a.recipients()) {
                        assertTrue(triplets.containsKey(a.client() + " " + rcpt), "refused, answered, and not in the greydb: " + a);
                    }
                } else if (pass.test(a.text())) {
                    passed++;
                    if (passShows == Pass.CLIENT_WHITELISTED_AND_FIRST_TRIPLET_PASSED) {
                        assertEquals(Boolean.TRUE, triplets.get(a.client() + " " + a.recipients().get(0)),
                                "passed, answered, and not recorded so: " + a);
                    }
                    assertTrue(whitelisted.contains(a.client()), "passed, answered, and its client not whitelisted: " + a);
                }
            }
        }
        assertTrue(refused > 0 && passed > 0, "both kinds of answer were given: " + refused + " and " + passed);
    }

    /** Each triplet's client and recipient, and whether it has passed. */
    private static Map<String, Boolean> triplets(Connection db) throws SQLException {
        Map<String, Boolean> rows = new HashMap<>();
        try (Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT client, recipient, passed_at IS NOT NULL FROM triplet")) {
            while (rs.next()) {
                rows.put(rs.getString(1) + " " + rs.getString(2), rs.getBoolean(3));
            }
        }
        return rows;
    }

    private static Set<String> whitelisted(Connection db) throws SQLException {
        Set<String> clients = new HashSet<>();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT client FROM whitelist")) {
            while (rs.next()) {
                clients.add(rs.getString(1));
            }
        }
        return clients;
    }
}
