package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.MetricsHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that authenticated (Postfix names it in {@code sasl_username}) is not greylisted (SPEC §3, step 1), as the
 * proxy skips a session whose AUTH succeeded: where {@code check_policy_service} comes before
 * {@code permit_sasl_authenticated} (or where the submission service reuses the same restrictions), a user sending
 * through the server must not have their mail deferred.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyAuthenticatedClientTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @BeforeEach
    void start() throws Exception {
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
    }

    @AfterEach
    void stop() {
        policy.close();
    }

    @Test
    void anAuthenticatedClientIsNotGreylistedAtRcptAndLeavesNoTriplet() throws Exception {
        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            Map<String, String> rcpt = PolicyClient.rcpt("198.51.100.20", "joe@example.net", "friend@example.org");
            rcpt.put("sasl_method", "PLAIN");
            rcpt.put("sasl_username", "joe");
            assertEquals("DUNNO", c.ask(rcpt));
            assertEquals(0, triplets("friend@example.org"));
            assertEquals(1.0, skipped(), "counted as skipped");

            // The same client and envelope without AUTH is greylisted: it was the authentication that spared it.
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    c.ask(PolicyClient.rcpt("198.51.100.20", "joe@example.net", "friend@example.org")));
        }
    }

    @Test
    void anAuthenticatedClientsNullSenderIsNotGreylistedAtData() throws Exception {
        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            Map<String, String> rcpt = PolicyClient.rcpt("198.51.100.21", "", "someone@example.org");
            rcpt.put("sasl_method", "PLAIN");
            rcpt.put("sasl_username", "joe");
            assertEquals("DUNNO", c.ask(rcpt));
            Map<String, String> data = new java.util.LinkedHashMap<>(rcpt);
            data.put("protocol_state", "DATA");
            data.put("recipient", "");
            data.put("recipient_count", "1");
            assertEquals("DUNNO", c.ask(data));
            assertEquals(0, triplets("someone@example.org"));
        }
    }

    /** greylite_rcpt_total of RCPTs that skipped greylisting, scraped over HTTP. */
    private double skipped() {
        String m = MetricsHttp.scrape(policy.metricsPort());
        Matcher v = Pattern.compile("(?m)^greylite_rcpt_total\\{reason=\"skipped\",verdict=\"accept\"\\} (\\S+)$").matcher(m);
        assertTrue(v.find(), "skipped missing from:\n" + m);
        return Double.parseDouble(v.group(1));
    }

    private long triplets(String recipient) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM triplet WHERE recipient = ?")) {
            st.setString(1, recipient);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
