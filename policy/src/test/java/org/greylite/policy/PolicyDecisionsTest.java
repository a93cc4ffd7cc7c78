package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** What is decided at which protocol_state, and the answers, through the real service, engine and greydb. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyDecisionsTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
    }

    private PolicyClient start(String... flags) throws Exception {
        policy = TestPolicy.start(dir, flags);
        return PolicyClient.tcp(policy.tcpAddress());
    }

    private static Map<String, String> at(String state, Map<String, String> request) {
        Map<String, String> r = new LinkedHashMap<>(request);
        r.put("protocol_state", state);
        return r;
    }

    @Test
    void nullSenderIsDecidedAtDataOverItsRecipients() throws Exception {
        try (PolicyClient c = start()) {
            Map<String, String> one = PolicyClient.rcpt("192.0.2.30", "", "one@example.org");
            Map<String, String> two = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.30", "", "two@example.org"));
            two.put("instance", one.get("instance"));
            assertEquals("DUNNO", c.ask(one));
            assertEquals("DUNNO", c.ask(two));
            Map<String, String> data = at("DATA", one);
            data.put("recipient", "");
            data.put("recipient_count", "2");
            assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds", c.ask(data));
            // END-OF-MESSAGE of a message decided at DATA: nothing more to say.
            assertEquals("DUNNO", c.ask(at("END-OF-MESSAGE", one)));
        }
    }

    /**
     * Postfix opens a new policy connection mid-session (smtpd_policy_service_max_ttl, _request_limit, the service
     * restarted): the DATA request of a bounce to two recipients, which names none of them, must still be decided
     * over the recipients the RCPT requests on the earlier connection named.
     */
    @Test
    void nullSenderIsDecidedAtDataOverRecipientsNamedOnAnEarlierConnection() throws Exception {
        Map<String, String> one = PolicyClient.rcpt("192.0.2.31", "", "one@example.org");
        Map<String, String> two = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.31", "", "two@example.org"));
        two.put("instance", one.get("instance"));
        try (PolicyClient c = start()) {
            assertEquals("DUNNO", c.ask(one));
            assertEquals("DUNNO", c.ask(two));
        }
        Map<String, String> data = at("DATA", one);
        data.put("recipient", "");
        data.put("recipient_count", "2");
        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds", c.ask(data));
        }
        // END-OF-MESSAGE, on yet another connection: the message was decided at DATA.
        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            assertEquals("DUNNO", c.ask(at("END-OF-MESSAGE", data)));
        }
        assertEquals(List.of("one@example.org", "two@example.org"), recipientsInTheGreydb(), "both recipients decided once");
    }

    /**
     * A client that permit_mynetworks or permit_sasl_authenticated let through before check_policy_service at RCPT,
     * while smtpd_data_restrictions asks the service: its RCPT requests never came, and the DATA request of a
     * bounce to one recipient names that recipient (Postfix fills it in when there is exactly one). That must not
     * make the bounce decided, nor greylisted, at DATA.
     */
    @Test
    void nullSenderWhoseRcptRequestsWereNotSeenIsNotDecidedAtData() throws Exception {
        Map<String, String> data = at("DATA", PolicyClient.rcpt("192.0.2.32", "", "one@example.org"));
        data.put("recipient_count", "1");
        try (PolicyClient c = start()) {
            assertEquals("DUNNO", c.ask(data));
            assertEquals("DUNNO", c.ask(at("END-OF-MESSAGE", data)));
            // The same at END-OF-MESSAGE alone, for another message (only the end-of-data restrictions ask).
            Map<String, String> end = at("END-OF-MESSAGE", PolicyClient.rcpt("192.0.2.33", "", "two@example.org"));
            end.put("recipient_count", "1");
            assertEquals("DUNNO", c.ask(end));
        }
        assertEquals(List.of(), recipientsInTheGreydb(), "nothing decided");
    }

    /**
     * A flag given twice takes its last value, as in postgrey (an init script's flags and POSTGREY_OPTS both name
     * one); postgrey's --lookup-by-host and --lookup-by-subnet together are taken too, the host winning.
     */
    @Test
    void aFlagGivenTwiceTakesTheLastValueAndLookupByHostWinsOverLookupBySubnet() throws Exception {
        try (PolicyClient c = start("--delay=600", "--delay=1", "--lookup-by-subnet", "--lookup-by-host")) {
            assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 2 seconds",
                    c.ask(PolicyClient.rcpt("192.0.2.60", "a@example.net", "b@example.org")));
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.61", "a@example.net", "b@example.org")).startsWith("DEFER_IF_PERMIT"));
        }
        assertEquals(List.of("192.0.2.60", "192.0.2.61"), clientsInTheGreydb(), "a triplet per address");
    }

    /** The recipients of the greydb's triplets, sorted; stops the service first, so that all is committed. */
    private List<String> recipientsInTheGreydb() throws Exception {
        return inTheGreydb(org.greylite.store.TripletKey::recipient);
    }

    /** The client keys of the greydb's triplets, sorted; stops the service first. */
    private List<String> clientsInTheGreydb() throws Exception {
        return inTheGreydb(org.greylite.store.TripletKey::client);
    }

    private List<String> inTheGreydb(java.util.function.Function<org.greylite.store.TripletKey, String> field) throws Exception {
        policy.close();
        try (org.greylite.store.GreydbAdmin admin = org.greylite.store.GreylistStores.sqliteAdmin(
                dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            return admin.triplets(org.greylite.store.TripletFilter.ALL).stream()
                    .map(r -> field.apply(r.key())).sorted().toList();
        }
    }

    @Test
    void theRetryThatEndsTheDelayGetsTheHeaderOnceThenTheClientIsWhitelisted() throws Exception {
        try (PolicyClient c = start("--delay=1", "--hostname=mx.example.org")) {
            Map<String, String> first = PolicyClient.rcpt("192.0.2.40", "a@example.net", "b@example.org");
            assertTrue(c.ask(first).startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 2 seconds"));
            Thread.sleep(2_500);
            String pass = c.ask(first);
            assertTrue(pass.matches("PREPEND X-Greylist: delayed [1-9]\\d* seconds by greylite-policy-\\S+ at mx\\.example\\.org; .+"), pass);
            // Another recipient of the same message: one header per message.
            Map<String, String> second = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.40", "a@example.net", "c@example.org"));
            second.put("instance", first.get("instance"));
            assertEquals("DUNNO", c.ask(second), "whitelisted after its first pass, and no second header");
            // A later message of the same client: whitelisted, nothing to add.
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.41", "x@example.net", "y@example.org")));
        }
    }

    /** postgrey takes an empty --greylist-action, --greylist-text or --x-greylist-header for its default: so do we. */
    @Test
    void emptyAnswerFlagsGiveTheDefaults() throws Exception {
        try (PolicyClient c = start("--delay=1", "--hostname=mx.example.org", "--greylist-action=", "--greylist-text=",
                "--x-greylist-header=")) {
            Map<String, String> first = PolicyClient.rcpt("192.0.2.42", "a@example.net", "b@example.org");
            assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 2 seconds", c.ask(first));
            Thread.sleep(2_500);
            String pass = c.ask(first);
            assertTrue(pass.matches("PREPEND X-Greylist: delayed [1-9]\\d* seconds by greylite-policy-\\S+ at mx\\.example\\.org; .+"), pass);
        }
    }

    @Test
    void withoutAutoWhitelistEachTripletIsGreylistedAndTheHeaderCanBeSwitchedOff() throws Exception {
        try (PolicyClient c = start("--delay=1", "--auto-whitelist-clients=0", "--no-x-greylist-header")) {
            Map<String, String> first = PolicyClient.rcpt("192.0.2.50", "a@example.net", "b@example.org");
            assertTrue(c.ask(first).startsWith("DEFER_IF_PERMIT"));
            Thread.sleep(2_500);
            assertEquals("DUNNO", c.ask(first), "passes, without a header");
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.50", "a@example.net", "other@example.org")).startsWith("DEFER_IF_PERMIT"),
                    "the client was not whitelisted");
        }
    }

    @Test
    void autoWhitelistClientsThreeWhitelistsAtTheThirdPassedTriplet() throws Exception {
        try (PolicyClient c = start("--delay=1", "--client-key=ip", "--auto-whitelist-clients=3")) {
            assertWhitelistedAtTheThirdPass(c, "192.0.2.55");
        }
    }

    /**
     * postgrey's {@code --auto-whitelist-clients=3}: the client's first two passed triplets leave it greylisted
     * for a new one, the third puts it on the auto-whitelist. For the SQLite and the PostgreSQL greydb.
     */
    static void assertWhitelistedAtTheThirdPass(PolicyClient c, String client) throws Exception {
        for (int i = 1; i <= 3; i++) {
            assertTrue(c.ask(PolicyClient.rcpt(client, "a@example.net", "r" + i + "@example.org")).startsWith("DEFER_IF_PERMIT"));
        }
        Thread.sleep(2_500);
        for (int i = 1; i <= 3; i++) {
            String pass = c.ask(PolicyClient.rcpt(client, "a@example.net", "r" + i + "@example.org"));
            assertTrue(pass.startsWith("PREPEND X-Greylist: delayed "), "retry " + i + ": " + pass);
            String fresh = c.ask(PolicyClient.rcpt(client, "a@example.net", "new" + i + "@example.org"));
            if (i < 3) {
                assertTrue(fresh.startsWith("DEFER_IF_PERMIT"), i + " passed triplet(s) of 3 do not whitelist: " + fresh);
            } else {
                assertEquals("DUNNO", fresh, "the third passed triplet whitelists the client");
            }
        }
    }

    @Test
    void postgreyTextAndActionAreTheAdministrators() throws Exception {
        try (PolicyClient c = start("--greylist-action=DEFER", "--greylist-text=Come back in %s s, %r is busy")) {
            assertEquals("DEFER 4.7.1 Come back in 301 s, example.org is busy",
                    c.ask(PolicyClient.rcpt("192.0.2.60", "a@example.net", "b@example.org")));
            // The domain is the client's text: a control character or a bidirectional override is not copied into
            // the answer, and a domain longer than any is cut to a domain's length.
            assertEquals("DEFER 4.7.1 Come back in 301 s, ex?ample?.org is busy",
                    c.ask(PolicyClient.rcpt("192.0.2.61", "a@example.net", "b@ex\u0001ample\u202e.org")));
            String longest = c.ask(PolicyClient.rcpt("192.0.2.62", "a@example.net", "b@" + "d".repeat(3000) + ".org"));
            assertTrue(longest.length() <= "DEFER 4.7.1 Come back in 301 s,  is busy".length() + 255, longest);
        }
    }

    @Test
    void postgreyWhitelistsSkipGreylisting() throws Exception {
        Path clients = dir.resolve("clients");
        Path recipients = dir.resolve("recipients");
        TestPolicy.writeFile(clients, "# postgrey's formats\n198.51.100.0/24\nexample.com\n/^mx[0-9]+\\.pool\\./\n");
        TestPolicy.writeFile(recipients, "abuse-desk@\n@spamtrap.example\nopen.example\n");
        ListAppender<ILoggingEvent> errors = TestPolicy.capture(PolicyService.class);
        try (PolicyClient c = start("--whitelist-clients=" + clients, "--whitelist-recipients=" + recipients,
                "--metrics=127.0.0.1:0")) {
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100.77", "a@example.net", "b@example.org")));
            Map<String, String> named = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.70", "a@example.net", "b@example.org"));
            named.put("client_name", "out.mail.example.com");
            assertEquals("DUNNO", c.ask(named));
            named.put("client_name", "mx12.pool.example.net");
            assertEquals("DUNNO", c.ask(named));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.71", "a@example.net", "abuse-desk+x@anything.example")));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.71", "a@example.net", "who@spamtrap.example")));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.71", "a@example.net", "who@lists.open.example")));
            // Not listed: greylisted as usual.
            named.put("client_name", "mail.example.community");
            assertTrue(c.ask(named).startsWith("DEFER_IF_PERMIT"));
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.72", "a@example.net", "who@notspamtrap.example")).startsWith("DEFER_IF_PERMIT"));
        } finally {
            ((Logger) LoggerFactory.getLogger(PolicyService.class)).detachAppender(errors);
        }
        // Decided as skipped by the engine, not answered DUNNO by the error handler.
        assertEquals("", TestPolicy.lines(errors));
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("greylite_rcpt_total{reason=\"skipped\",verdict=\"accept\"} 6.0"), metrics);
    }

    @Test
    void theGreydbIsTheEnginesOneThatGreylitectlReads() throws Exception {
        try (PolicyClient c = start()) {
            c.ask(PolicyClient.rcpt("192.0.2.80", "Tagged+123@Example.NET", "b@example.org"));
        }
        policy.close();
        try (org.greylite.store.GreydbAdmin admin = org.greylite.store.GreylistStores.sqliteAdmin(
                dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            var rows = admin.triplets(org.greylite.store.TripletFilter.ALL);
            assertEquals(1, rows.size(), rows.toString());
            assertEquals("192.0.2.0/24", rows.get(0).key().client());
            assertEquals("tagged@example.net", rows.get(0).key().sender(), "the engine's sender normalisation");
            assertEquals(1, rows.get(0).state().refusals());
        }
    }

    @Test
    void smartKeysUsePostfixsVerifiedClientName() throws Exception {
        try (PolicyClient c = start("--delay=1")) {
            Map<String, String> a = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.90", "a@example.net", "b@example.org"));
            a.put("client_name", "mail-a.sender.example.org");
            assertTrue(c.ask(a).startsWith("DEFER_IF_PERMIT"));
            Thread.sleep(2_500);
            // The retry comes from another address of the same sender, in another network: same client key.
            Map<String, String> b = new LinkedHashMap<>(PolicyClient.rcpt("203.0.113.90", "a@example.net", "b@example.org"));
            b.put("client_name", "mail-b.sender.example.org");
            b.put("instance", "other");
            assertTrue(c.ask(b).startsWith("PREPEND X-Greylist: delayed "));
        }
    }

    @Test
    void metricsCountRequestsDecisionsAndProtocolErrors() throws Exception {
        try (PolicyClient c = start("--metrics=127.0.0.1:0")) {
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.100", "a@example.net", "b@example.org")).startsWith("DEFER_IF_PERMIT"));
            assertEquals("DUNNO", c.ask(at("CONNECT", PolicyClient.rcpt("192.0.2.100", "", ""))));
        }
        try (PolicyClient bad = PolicyClient.tcp(policy.tcpAddress())) {
            bad.send("no equals sign\n\n");
            assertTrue(bad.closedByServer());
        }
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        String m = r.body();
        assertTrue(m.contains("greylite_rcpt_total{reason=\"first-attempt\",verdict=\"greylist\"} 1.0"), m);
        assertTrue(m.contains("greylite_policy_requests_total{protocol_state=\"RCPT\"} 1.0"), m);
        assertTrue(m.contains("greylite_policy_requests_total{protocol_state=\"other\"} 1.0"), m);
        assertTrue(m.contains("greylite_policy_protocol_errors_total 1.0"), m);
        assertTrue(m.contains("greylite_policy_connections_total 2.0"), m);
        assertTrue(m.contains("greylite_decision_duration_seconds_count 1"), m);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDeletedGreydbIsNoticedCountedAndRecreatedAtItsPath() throws Exception {
        var log = TestPolicy.capture(GreylitePolicy.class);
        Path db = dir.resolve("greylite.db");
        try (PolicyClient c = start("--metrics=127.0.0.1:0")) {
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.110", "a@example.net", "before@example.org")).startsWith("DEFER_IF_PERMIT"));
            java.nio.file.Files.delete(db);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!TestPolicy.lines(log).contains("was deleted while in use") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String lines = TestPolicy.lines(log);
            assertTrue(lines.contains("was deleted while in use") && lines.contains(db.toString())
                    && lines.contains("decisions go to"), lines);
            assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                    && e.getFormattedMessage().contains("was deleted while in use")), "an ERROR line");
            assertTrue(java.nio.file.Files.exists(db), "a new greydb at the path");
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.110", "a@example.net", "after@example.org")).startsWith("DEFER_IF_PERMIT"));
        }
        try (org.greylite.store.GreydbAdmin admin = org.greylite.store.GreylistStores.sqliteAdmin(db,
                java.time.Duration.ofSeconds(5))) {
            List<String> recipients = admin.triplets(org.greylite.store.TripletFilter.ALL).stream()
                    .map(r -> r.key().recipient()).toList();
            assertEquals(List.of("after@example.org"), recipients, "the decision after the check is in the file at the path");
        }
        assertTrue(metrics().contains("greylite_greydb_file_replaced_total 1.0"), metrics());
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void theAdministratorsListsCountBlacklistedIsRejectedWhitelistedPasses() throws Exception {
        try (org.greylite.store.GreydbAdmin admin = org.greylite.store.GreylistStores.sqliteAdmin(
                dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            java.time.Instant now = java.time.Instant.now();
            admin.putListEntry(new org.greylite.store.ListEntry("198.51.100.0/24", true, now, null, "spam run"));
            admin.putListEntry(new org.greylite.store.ListEntry("203.0.113.0/24", false, now, null, "partner"));
        }
        try (PolicyClient c = start()) {
            assertEquals("REJECT 5.7.1 Access denied by the administrator's blacklist",
                    c.ask(PolicyClient.rcpt("198.51.100.9", "a@example.net", "b@example.org")));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100.9", "a@example.net", "postmaster@example.org")),
                    "postmaster@ is never refused, not even to a blacklisted client");
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("203.0.113.9", "a@example.net", "b@example.org")));
        }
    }

    @Test
    void aGreydbFailureIsDunnoOrWithFailClosedADeferral() throws Exception {
        try (PolicyClient c = start("--fail-closed")) {
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.120", "a@example.net", "b@example.org")).startsWith("DEFER_IF_PERMIT 4.7.1"));
            breakGreydb();
            assertEquals("DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable, please retry later",
                    c.ask(PolicyClient.rcpt("192.0.2.121", "a@example.net", "b@example.org")));
        }
        policy.close();
        java.nio.file.Files.delete(dir.resolve("greylite.db"));
        try (PolicyClient c = start()) {
            breakGreydb();
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.122", "a@example.net", "b@example.org")), "fail open");
        }
    }

    /** Takes the triplet table away under the running service: every decision then fails in the greydb. */
    private void breakGreydb() throws Exception {
        try (java.sql.Connection conn = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             java.sql.Statement st = conn.createStatement()) {
            st.execute("DROP TABLE triplet");
        }
    }
}
