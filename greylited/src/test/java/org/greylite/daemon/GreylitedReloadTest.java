package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP in a real greylited process: the rule files are read again, the process and its sessions go on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GreylitedReloadTest {

    /** The length of every version of the rule files here, so that an edit leaves a file's size as it was. */
    private static final int SIZE = 64;

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private GreylitedProcess greylited;

    @AfterEach
    void cleanUp() throws Exception {
        if (greylited != null) {
            greylited.close();
        }
    }

    private InetSocketAddress start(Path suspicion, Path access, String... extra) throws Exception {
        greylited = GreylitedProcess.command(upstream.address()).db(dir.resolve("greylite.db"))
                .args("--suspicion", suspicion.toString(), "--access", access.toString()).args(extra).start();
        return greylited.address();
    }

    private static String rcpt(RawClient c) throws IOException {
        c.send("RCPT TO:<b@example.com>\r\n");
        return c.reply();
    }

    /** {@code rules} and a comment line that fills the file up to {@link #SIZE} bytes. */
    private static String padded(String rules) {
        return rules + "#" + " ".repeat(SIZE - rules.length() - 2) + "\n";
    }

    private Path ruleFile(String name, String rules) throws IOException {
        return Files.writeString(dir.resolve(name), padded(rules), StandardCharsets.US_ASCII);
    }

    /**
     * Rewrites {@code file} in place with its size and modification time kept: greylited also looks at its rule
     * files by itself every second and reloads one whose stat changed, and logs the same lines as for SIGHUP. With
     * the stat unchanged only SIGHUP can load the new version, and a reload failure is counted once. (The stat
     * differs only between the write and the restored time, a few microseconds against a look every second.)
     */
    private static void editUnseen(Path file, String rules) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        byte[] bytes = padded(rules).getBytes(StandardCharsets.US_ASCII);
        assertEquals(Files.size(file), bytes.length);
        Files.write(file, bytes, StandardOpenOption.WRITE); // same inode, never shorter on the way
        Files.setLastModifiedTime(file, modified);
    }

    private void hangUp() throws Exception {
        assertEquals(0, greylited.signal("HUP"));
    }

    /**
     * logrotate's habit ({@code postrotate kill -USR1}) carried over: SIGUSR1's default action ended greylited at once,
     * its sessions cut without a 421. It is logged and ignored, and the session under way goes on.
     */
    @Test
    void sigusr1IsLoggedAndIgnored() throws Exception {
        InetSocketAddress proxy = start(ruleFile("suspicion", "0 e r:^b@\n"), ruleFile("tcp.smtp", ":allow\n"));
        try (RawClient c = new RawClient(proxy).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            int logged = greylited.log.size();
            assertEquals(0, greylited.signal("USR1"));
            String line = greylited.awaitLine(logged, "SIGUSR1 ignored", Duration.ofSeconds(30));
            assertTrue(line.contains(" WARN "), line);
            assertTrue(greylited.process.isAlive(), "SIGUSR1 does not stop greylited");
            assertTrue(rcpt(c).startsWith("250"), "the session goes on");
            c.command("QUIT", 221);
        }
    }

    @Test
    void sighupReloadsBothRuleFilesWhileSessionsGoOn() throws Exception {
        Path suspicion = ruleFile("suspicion", "5 e r:^b@\n");
        Path access = ruleFile("tcp.smtp", "# everyone welcome\n");
        InetSocketAddress proxy = start(suspicion, access);

        try (RawClient before = new RawClient(proxy).hello()) {
            before.command("MAIL FROM:<a@example.org>", 250);
            assertTrue(rcpt(before).startsWith("451"), "N = 5 before the reload");

            editUnseen(suspicion, "0 e r:^b@\n");
            editUnseen(access, "127.0.0.9:deny\n");
            int logged = greylited.log.size();
            hangUp();
            greylited.awaitLine(logged, access + ": reloaded, 1 access rules", Duration.ofSeconds(30));
            List<String> snapshot = List.copyOf(greylited.log);
            List<String> after = snapshot.subList(logged, snapshot.size());
            assertTrue(after.stream().anyMatch(l -> l.contains("SIGHUP: reloading the rule files")), after.toString());
            assertTrue(after.stream().anyMatch(l -> l.contains(suspicion + ": reloaded, 1 rules")), after.toString());
            assertTrue(greylited.process.isAlive(), "SIGHUP does not stop greylited");

            // A new transaction: within the first one the recipient named again keeps its first verdict.
            before.command("RSET", 250);
            before.command("MAIL FROM:<a@example.org>", 250);
            assertTrue(rcpt(before).startsWith("250"), "the session open during the reload goes on, under the new rules");
            before.command("QUIT", 221);
        }

        try (RawClient next = new RawClient(proxy).hello()) {
            next.command("MAIL FROM:<c@example.org>", 250);
            assertTrue(rcpt(next).startsWith("250"), "N = 0 now");
            next.command("QUIT", 221);
        }
        try (RawClient denied = new RawClient(proxy, InetAddress.getByName("127.0.0.9"))) {
            assertTrue(denied.reply().startsWith("554 5.7.1 "), "the new access rules are in force");
        }
    }

    @Test
    void sighupWithBrokenFilesKeepsTheOldRulesLogsEachLineAndCountsTheFailure() throws Exception {
        Path suspicion = ruleFile("suspicion", "0 e r:^b@\n");
        Path access = ruleFile("tcp.smtp", "127.0.0.9:deny\n");
        InetSocketAddress proxy = start(suspicion, access, "--metrics", "127.0.0.1:0");
        URI scrape = metricsUri();

        // One bad line each, among lines that would change the decisions if they loaded.
        editUnseen(suspicion, "5 e r:^b@\n9 e r:(unclosed\n");
        editUnseen(access, ":allow\n127.0.0.9:alow\n");
        int logged = greylited.log.size();
        hangUp();
        greylited.awaitLine(logged, access + ": not reloaded", Duration.ofSeconds(30));
        greylited.awaitLine(logged, suspicion + ": not reloaded", Duration.ofSeconds(5));
        greylited.awaitLine(logged, suspicion + ":2: ", Duration.ofSeconds(5));
        greylited.awaitLine(logged, access + ":2: ", Duration.ofSeconds(5));

        try (RawClient next = new RawClient(proxy).hello()) {
            next.command("MAIL FROM:<a@example.org>", 250);
            assertTrue(rcpt(next).startsWith("250"), "the old N = 0 still decides");
            next.command("QUIT", 221);
        }
        try (RawClient denied = new RawClient(proxy, InetAddress.getByName("127.0.0.9"))) {
            assertTrue(denied.reply().startsWith("554 5.7.1 "), "the old access rules still deny");
        }
        String body = scrape(scrape);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"suspicion\"} 1.0"), body);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"access\"} 1.0"), body);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"known-senders\"} 0.0"), body);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"config\"} 0.0"), body);

        // Fixed: the next SIGHUP loads the files whole.
        editUnseen(suspicion, "5 e r:^b@\n");
        editUnseen(access, ":allow\n");
        logged = greylited.log.size();
        hangUp();
        greylited.awaitLine(logged, access + ": reloaded, 1 access rules", Duration.ofSeconds(30));
        greylited.awaitLine(logged, suspicion + ": reloaded, 1 rules", Duration.ofSeconds(5));
        try (RawClient next = new RawClient(proxy, InetAddress.getByName("127.0.0.9")).hello()) {
            next.command("MAIL FROM:<z@example.org>", 250); // a new triplet: a@'s passed under N = 0 and stays passed
            assertTrue(rcpt(next).startsWith("451"), "N = 5 now, and 127.0.0.9 let in");
            next.command("QUIT", 221);
        }
    }

    /**
     * A reload that finds its file gone or turned into a directory keeps the old rules just as one with a bad line
     * does, and the administrator who sent the SIGHUP must hear it with LOGTHRESHOLD=3 too (greylite's quieter
     * default, which shows errors only), with the reason in words. The level is checked on the line itself: at
     * threshold 3 the start-up lines this test waits for would not be written.
     */
    @Test
    void sighupThatCannotReadAFileSaysSoAtTheErrorThreshold() throws Exception {
        Path suspicion = ruleFile("suspicion", "0 e r:^b@\n");
        Path access = ruleFile("tcp.smtp", ":allow\n");
        start(suspicion, access);

        Files.delete(suspicion);
        Files.delete(access);
        Files.createDirectory(access);
        int logged = greylited.log.size();
        hangUp();
        String gone = greylited.awaitLine(logged, suspicion + ": cannot read the file: it does not exist; keeping the 1 rules",
                Duration.ofSeconds(30));
        assertTrue(gone.contains(" ERROR "), gone);
        String directory = greylited.awaitLine(logged, access + ": cannot read the file: it is a directory; keeping the 1 access rules",
                Duration.ofSeconds(5));
        assertTrue(directory.contains(" ERROR "), directory);
    }

    /**
     * The known-senders files (--whitelist-file) are read again at SIGHUP, with the suspicion file's rule: an edit with
     * a line that does not load keeps the list in force before it, the line named. They used to be read at start only:
     * a partner's relay added to the file and a systemctl reload left it greylisted until a restart.
     */
    @Test
    void sighupReadsTheKnownSendersFilesAgainAndKeepsTheListWhenAnEditIsBroken() throws Exception {
        Path suspicion = ruleFile("suspicion", "# none\n");
        Path access = ruleFile("tcp.smtp", ":allow\n");
        Path known = Files.writeString(dir.resolve("known-senders"), "cidr 192.0.2.0/24 a partner\n");
        InetSocketAddress proxy = start(suspicion, access, "--whitelist-file", known.toString(),
                "--no-shipped-whitelist", "--metrics", "127.0.0.1:0");
        URI scrape = metricsUri();
        InetAddress relay = InetAddress.getByName("127.0.0.9");
        assertTrue(rcptFrom(proxy, relay, "a@example.org").startsWith("451"), "not a known sender yet");

        Files.writeString(known, "cidr 192.0.2.0/24 a partner\ncidr 127.0.0.9/32 our relay\nregex (unclosed a typo\n");
        int logged = greylited.log.size();
        hangUp();
        String bad = greylited.awaitLine(logged, known + ":3: '(unclosed' is not a regular expression",
                Duration.ofSeconds(30));
        assertTrue(bad.contains(" ERROR "), bad);
        greylited.awaitLine(logged, "not reloaded: 1 line(s) do not load (above); keeping the 1 known senders loaded"
                + " before", Duration.ofSeconds(5));
        assertTrue(rcptFrom(proxy, relay, "b@example.org").startsWith("451"), "the list before the broken edit decides");
        String body = scrape(scrape);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"known-senders\"} 1.0"), body);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"suspicion\"} 0.0"), body);

        Files.writeString(known, "cidr 192.0.2.0/24 a partner\ncidr 127.0.0.9/32 our relay\n");
        logged = greylited.log.size();
        hangUp();
        greylited.awaitLine(logged, "reloaded, 2 entries", Duration.ofSeconds(30));
        assertTrue(rcptFrom(proxy, relay, "c@example.org").startsWith("250"), "a known sender now, without a restart");
    }

    /** Where the greylited started with {@code --metrics 127.0.0.1:0} serves its metrics, from its log. */
    private URI metricsUri() throws Exception {
        String metrics = greylited.awaitLine("metrics on http://", Duration.ofSeconds(5));
        return URI.create(metrics.substring(metrics.indexOf("http://")).strip());
    }

    private static String scrape(URI metrics) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The reply to one RCPT of a new session from {@code client}, with {@code sender}. */
    private static String rcptFrom(InetSocketAddress proxy, InetAddress client, String sender) throws IOException {
        try (RawClient c = new RawClient(proxy, client).hello()) {
            c.command("MAIL FROM:<" + sender + ">", 250);
            String reply = rcpt(c);
            c.command("QUIT", 221);
            return reply;
        }
    }

    /**
     * SIGHUP reads the configuration file again: a greylisting setting changed there (min-delay) is in force for the
     * next decision, the greylisting reply for the next session, a setting that built the server (idle-timeout) is
     * named as needing a restart and keeps its value, and a file with a mistake is refused whole, its line named, the
     * settings in force kept. The file used to be read at start only: an administrator who lowered min-delay and ran
     * systemctl reload saw clients refused as before.
     */
    @Test
    void sighupReadsTheConfigurationFileAgainAndAppliesItsGreylistingSettings() throws Exception {
        Path suspicion = ruleFile("suspicion", "# none\n");
        Path access = ruleFile("tcp.smtp", ":allow\n");
        Path conf = Files.writeString(dir.resolve("greylited.conf"), "min-delay = 5m\n");
        InetSocketAddress proxy = start(suspicion, access, "--config", conf.toString(), "--metrics", "127.0.0.1:0");
        URI scrape = metricsUri();
        InetAddress client = InetAddress.getByName("127.0.0.9");
        assertTrue(rcptFrom(proxy, client, "a@example.org").startsWith("451"), "the first attempt");

        Files.writeString(conf, "min-delay = 0\nretry-window = soon\n");
        int logged = greylited.log.size();
        hangUp();
        String refused = greylited.awaitLine(logged, conf + ": not reloaded: " + conf + ":2: ", Duration.ofSeconds(30));
        assertTrue(refused.contains(" ERROR ") && refused.contains("keeping the settings in force"), refused);
        assertTrue(rcptFrom(proxy, client, "a@example.org").startsWith("451"), "a retry too soon under min-delay 5m");
        String body = scrape(scrape);
        assertTrue(body.contains("greylite_reload_failures_total{file=\"config\"} 1.0"), body);

        Files.writeString(conf, "min-delay = 0\nidle-timeout = 1m\n"
                + "greylist-reply = 451 4.7.1 <{rcpt}>: not yet, come back soon\n");
        logged = greylited.log.size();
        hangUp();
        greylited.awaitLine(logged, conf + ": min-delay is now 0 (was 5m)", Duration.ofSeconds(30));
        String restart = greylited.awaitLine(logged, conf + ": idle-timeout = 1m takes a restart",
                Duration.ofSeconds(5));
        assertTrue(restart.contains(" WARN "), restart);
        greylited.awaitLine(logged, conf + ": reloaded; min-delay 0s", Duration.ofSeconds(5));
        // The refusal is recorded at the next whole second: a retry within the same second would still be early.
        Thread.sleep(1_100);
        assertTrue(rcptFrom(proxy, client, "a@example.org").startsWith("250"),
                "the retry passes under min-delay 0, without a restart");
        // Another client: 127.0.0.9 has just passed, and is on the auto-whitelist.
        assertEquals("451 4.7.1 <b@example.com>: not yet, come back soon",
                rcptFrom(proxy, InetAddress.getByName("127.0.1.9"), "a@example.org"),
                "a new session gets the new greylisting reply");
        assertTrue(greylited.process.isAlive());
    }
}
