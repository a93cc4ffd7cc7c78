package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreylistStores;
import org.greylite.store.ListEntry;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon started in this JVM on a loopback port, asked over real UDP what the patched qmail-smtpd asks,
 * with a real SQLite greydb; the test moves the daemon's clock.
 */
class GreyDaemonTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private RunningGreydaemon service;
    private QmailSmtpdClient client;

    private Path greydb() {
        return dir.resolve("greydb");
    }

    private void start(String... flags) throws IOException {
        startWith(Map.of(), flags);
    }

    private void startWith(Map<String, String> variables, String... flags) throws IOException {
        startOn("127.0.0.1:0", variables, flags);
    }

    private void startOn(String listen, Map<String, String> variables, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of(flags));
        args.add(listen);
        args.add(greydb().toString());
        Map<String, String> env = new java.util.HashMap<>(variables);
        env.put("GREYLITE_NO_SHIPPED_WHITELIST", "");
        service = GreyDaemon.start(CommandLine.parse(args), env, clock);
        client = new QmailSmtpdClient(service.localAddress());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void newTooSoonPassedThenKnownAddress() throws Exception {
        start();
        assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        // Committed before the answer was sent: the row is there now.
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE client = '198.51.100.7'"
                + " AND sender = 'alice@example.net' AND recipient = 'bob@example.org' AND passed_at IS NULL"));
        clock.advance(Duration.ofMinutes(4));
        assertEquals("0,2", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(2)); // 6 minutes after the first attempt: past greydaemon's 5
        assertEquals("1,3", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        // The address passed: another sender and recipient from it pass at once.
        assertEquals("1,2", client.ask("198.51.100.7", "carol@example.com", "dave@example.org", "erin@example.org"));
        // Exact address keys (greydaemon's): the neighbour is not known.
        assertEquals("0,1", client.ask("198.51.100.8", "carol@example.com", "dave@example.org"));
    }

    /**
     * A message that lists one recipient twice (qmail-smtpd lists each RCPT as it came; a To: and a Cc: of one person,
     * in another case say) is one attempt of that triplet, not a retry. Decided twice, the second was a retry sooner
     * than greylite's schedule: the client was marked with retryinterval for the retry window, and under the shipped
     * examples' "100 b greetdelay retryinterval" every message of it was refused a hundred times.
     */
    @Test
    void aRecipientListedTwiceInOneMessageIsNoRetry() throws Exception {
        Path rules = java.nio.file.Files.writeString(dir.resolve("suspicion"), "100 b retryinterval\n");
        startWith(Map.of("SUSPICION", rules.toString()));
        assertEquals("0,1", client.ask("198.51.100.30", "alice@example.net", "bob@example.org", "carol@example.org",
                "Bob@Example.ORG", "bob@example.org"));
        assertEquals(0, count("SELECT COUNT(*) FROM client_behaviour"), "no behaviour shown");
        assertEquals(1, count("SELECT MAX(refusals) FROM triplet"), "one refusal counted");
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("198.51.100.30", "alice@example.net", "bob@example.org", "carol@example.org",
                "Bob@Example.ORG"), "the retry passes");
    }

    @Test
    void linesOnThePtrNameOrHeloCannotBeEvaluatedHereAndDoNotMatchWhileSenderLinesDo() throws Exception {
        // greydaemon is told neither: "r ^$" and "e h:^$" must not take every client for one without a name
        // (SPEC §5: a line that cannot be evaluated does not match, negated or not).
        Path rules = java.nio.file.Files.writeString(dir.resolve("suspicion"),
                "3 r ^$\n3 r !\\.example\\.\n3 e h:^$\n4 e s:^bulk@\n");
        startWith(Map.of("SUSPICION", rules.toString()));
        assertEquals("0,1", client.ask("198.51.100.20", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("198.51.100.20", "alice@example.net", "bob@example.org"), "passed at the retry");
        assertEquals("1,2", client.ask("198.51.100.20", "carol@example.com", "dave@example.org"),
                "and auto-whitelisted, as a client no line holds suspicious");
        // A sender line still holds: four attempts, and no auto-whitelisting.
        assertEquals("0,1", client.ask("198.51.100.21", "bulk@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("0,2", client.ask("198.51.100.21", "bulk@example.net", "bob@example.org"));
    }

    @Test
    void aTripletFirstSeenLongerAgoThanTheWindowIsStale() throws Exception {
        start();
        assertEquals("0,1", client.ask("198.51.100.9", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofHours(13)); // greydaemon's window is 12 hours
        assertEquals("0,3", client.ask("198.51.100.9", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("198.51.100.9", "a@example.net", "b@example.org"));
    }

    @Test
    void flagsMeanWhatTheyMeantInGreydaemon() throws Exception {
        start("-m", "10", "-g", "1", "-t", "2");
        assertEquals("0,1", client.ask("203.0.113.5", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofMinutes(8));
        assertEquals("0,2", client.ask("203.0.113.5", "a@example.net", "b@example.org")); // -m 10
        clock.advance(Duration.ofMinutes(3));
        assertEquals("1,3", client.ask("203.0.113.5", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofDays(1));
        assertEquals("1,2", client.ask("203.0.113.5", "x@example.net", "y@example.org"));
        clock.advance(Duration.ofDays(3)); // -t 2: unused for longer than two days, the address is forgotten
        assertEquals("0,1", client.ask("203.0.113.5", "x@example.net", "y@example.org"));
        clock.advance(Duration.ofMinutes(61)); // -g 1: the next retry is an hour and a minute later
        assertEquals("0,3", client.ask("203.0.113.5", "x@example.net", "y@example.org"));
    }

    /**
     * A variable and a flag make the durations together: GREYLITE_MIN_DELAY=13h with -g 24 is a 13-hour delay in a
     * 24-hour window. It was refused at start for being longer than the default window of 12 hours that -g replaced.
     */
    @Test
    void aDelayFromTheEnvironmentIsCheckedAgainstTheWindowOfTheFlag() throws Exception {
        startWith(Map.of("GREYLITE_MIN_DELAY", "13h"), "-g", "24");
        assertEquals("0,1", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofHours(12));
        assertEquals("0,2", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofHours(2));
        assertEquals("1,3", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
    }

    /** -m 0.0 is zero minutes, as in greydaemon (a true string in Perl), not the default: -g 0.001 then starts. */
    @Test
    void zeroWrittenWithADotIsZeroMinutes() throws Exception {
        start("-m", "0.0", "-g", "0.001");
        assertEquals("0,1", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofSeconds(2));
        assertEquals("1,3", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        assertEquals("0,1", client.ask("203.0.113.7", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofSeconds(5)); // past the 4 seconds of -g 0.001 (3.6 s)
        assertEquals("0,3", client.ask("203.0.113.7", "a@example.net", "b@example.org"));
    }

    /**
     * With -m 0.0 a retry in the second of its refusal passes; the refusal is recorded rounded up to the next second,
     * so the pass was recorded a second before the first attempt, and greylitectl showed the triplet passing before
     * it was first seen and a "time to pass" of -1s.
     */
    @Test
    void aRetryPassingInTheSecondOfItsRefusalIsNotRecordedBeforeIt() throws Exception {
        clock.set(Instant.parse("2026-12-01T10:00:00.300Z"));
        start("-m", "0.0");
        assertEquals("0,1", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        clock.advance(Duration.ofMillis(200));
        assertEquals("1,3", client.ask("203.0.113.6", "a@example.net", "b@example.org"));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL"));
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE passed_at < first_seen OR last_seen < first_seen"));
    }

    @Test
    void aMessageIsRefusedWhenAnyRecipientIsAndTheLastRefusalGivesTheCode() throws Exception {
        start();
        assertEquals("0,1", client.ask("192.0.2.20", "a@example.net", "one@example.org"));
        clock.advance(Duration.ofMinutes(2));
        assertEquals("0,1", client.ask("192.0.2.20", "a@example.net", "one@example.org", "two@example.org"));
        clock.advance(Duration.ofMinutes(1));
        assertEquals("0,2", client.ask("192.0.2.20", "a@example.net", "two@example.org", "one@example.org"));
        clock.advance(Duration.ofMinutes(3));
        // one@ passes and puts the address on the whitelist, so two@ (only 4 minutes old) is let in with it.
        assertEquals("1,3", client.ask("192.0.2.20", "a@example.net", "one@example.org", "two@example.org"));
        assertEquals("1,2", client.ask("192.0.2.20", "a@example.net", "three@example.org"));
    }

    @Test
    void aSenderThatIsNotUtf8IsKeyedACharacterAByteAsGreylitedKeysIt() throws Exception {
        start();
        // qmail-smtpd passes the envelope's bytes on: two ISO-8859-1 senders, different in one byte.
        assertEquals("0,1", client.send(latin1Packet("192.0.2.30", "b\u00e4r@example.net", "one@example.org")));
        assertEquals("0,1", client.send(latin1Packet("192.0.2.30", "b\u00f6r@example.net", "one@example.org")),
                "another sender, so a new triplet: not a retry of the first");
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE sender = 'b\u00e4r@example.net'"));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE sender = 'b\u00f6r@example.net'"));
    }

    private static byte[] latin1Packet(String clientIp, String sender, String recipient) {
        return ("I" + clientIp + "\0F" + sender + "\0T" + recipient + "\0").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void addressesInAWhitelistRangePassWithoutARecord() throws Exception {
        Path white = dir.resolve("white");
        Files.writeString(white, "# our other servers\n192.0.2\n10.1    # the office\n198.51.100.64/26\n");
        start("-w", white.toString());
        assertEquals("1,1", client.ask("192.0.2.77", "a@example.net", "b@example.org"));
        assertEquals("1,1", client.ask("10.1.200.3", "a@example.net", "b@example.org"));
        assertEquals("1,1", client.ask("198.51.100.100", "a@example.net", "b@example.org"));
        assertEquals("0,1", client.ask("198.51.100.10", "a@example.net", "b@example.org"));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet"));
    }

    /**
     * A -w file greydaemon loaded, in the forms administrators wrote (tcprules' trailing dot and star, a name
     * before the address, punctuation, a UTF-8 byte order mark): the daemon starts and answers 1,1 for each range
     * greydaemon read from it, and greylists what greydaemon did not read (the second address of a list, the end
     * of a dash range).
     */
    @Test
    void aWhitelistFileGreydaemonLoadedStartsTheDaemonWithItsRanges() throws Exception {
        Path white = dir.resolve("white");
        Files.write(white, ("\uFEFF10.0.8.7\n192.0.2.\n203.0.113.*\n198.51.100.:allow\nmx1 10.0.0.7\n"
                + "10.0.1.7,10.0.1.8\n10.0.2.7;\n\"10.0.3.7\"\n10.4.0.0/24,\n+10.0.5.7\n10.0.6.7.5\n"
                + "10.0.7.1-10.0.7.9\n").getBytes(StandardCharsets.UTF_8));
        start("-w", white.toString());
        for (String in : new String[] {"10.0.8.7", "192.0.2.77", "203.0.113.1", "198.51.100.99", "10.0.0.7",
            "10.0.1.7", "10.0.2.7", "10.0.3.7", "10.4.0.200", "10.0.5.7", "10.0.6.7", "10.0.7.1"}) {
            assertEquals("1,1", client.ask(in, "a@example.net", "b@example.org"), in);
        }
        assertEquals("0,1", client.ask("10.0.1.8", "a@example.net", "b@example.org"));
        assertEquals("0,1", client.ask("10.0.7.5", "a@example.net", "b@example.org"));
        assertEquals(2, count("SELECT COUNT(*) FROM triplet"));
    }

    /**
     * A -w line with address bits past a very short prefix is not widened to its block: 192.0.2.7/0 read as 0.0.0.0/0
     * let every client through ungreylisted, where greydaemon let at most 192.0.2.7 through with it. Written as a
     * block, a wide range still loads.
     */
    @Test
    void aWhitelistLineWithAddressBitsPastAVeryShortPrefixWhitelistsNobody() throws Exception {
        Path white = Files.writeString(dir.resolve("white"), "192.0.2.7/0\n10.1.2.3/4\n172.16.5.5/8\n");
        start("-w", white.toString());
        assertEquals("0,1", client.ask("198.51.100.1", "a@example.net", "b@example.org"));
        assertEquals("0,1", client.ask("1.2.3.4", "a@example.net", "b@example.org"));
        assertEquals("1,1", client.ask("172.1.2.3", "a@example.net", "b@example.org"), "a /8 is still widened");
        service.close();
        service = null;
        client.close();
        Files.writeString(white, "128.0.0.0/1\n");
        start("-w", white.toString());
        assertEquals("1,1", client.ask("198.51.100.1", "a@example.net", "b@example.org"));
    }

    /**
     * An IPv4-mapped block in a -w file ({@code ::ffff:192.0.2.0/120}, as a dual-stack socket writes IPv4 clients) is
     * the IPv4 block it maps: its length counts the 128 bits, and read as greydaemon's IPv4 range it was over 32 and
     * skipped. A mapped address alone is still the address greydaemon found in it.
     */
    @Test
    void anIpv4MappedBlockInAWhitelistFileIsTheIpv4BlockItMaps() throws Exception {
        Path white = Files.writeString(dir.resolve("white"), "::ffff:192.0.2.0/120\n::FFFF:198.51.100.7\n");
        start("-w", white.toString());
        assertEquals("1,1", client.ask("192.0.2.77", "a@example.net", "b@example.org"));
        assertEquals("1,1", client.ask("::ffff:192.0.2.78", "a@example.net", "b@example.org"));
        assertEquals("1,1", client.ask("198.51.100.7", "a@example.net", "b@example.org"));
        assertEquals("0,1", client.ask("192.0.3.1", "a@example.net", "b@example.org"));
    }

    /**
     * An IPv6 address in a -w file is never read as an IPv4 range: greydaemon, which knew no IPv6, took a number out
     * of one ({@code fe80::1%eth0} was 80.0.0.0/8, {@code mx6 2001:db8::6} 6.0.0.0/8), and so did this daemon for
     * an IPv6 word it could not read or that was not the line's first, so that a whole /8 of the Internet skipped
     * greylisting. Such a line is now its IPv6 address, or, when that cannot be read, skipped with a warning.
     */
    @Test
    void anIpv6LineInTheWhitelistFileIsNeverAnIpv4Range() throws Exception {
        Path white = Files.writeString(dir.resolve("white"),
                "fe80::1%eth0\nmx6 2001:db8::6\n\"dead:beef::1%lo\"\n2001:db8:1::/129\n");
        start("-w", white.toString());
        for (String out : new String[] {"80.1.2.3", "6.1.2.3", "1.2.3.4", "2001:db8:1::1"}) {
            assertEquals("0,1", client.ask(out, "a@example.net", "b@example.org"), out);
        }
        assertEquals("1,1", client.ask("2001:db8::6", "a@example.net", "b@example.org"));
    }

    @Test
    void aBounceToAVerpAddressPasses() throws Exception {
        start();
        assertEquals("1,4", client.ask("203.0.113.9", "", "list-bounces-42=example.net@lists.example.org"));
        assertEquals(0, count("SELECT COUNT(*) FROM triplet"));
        // A bounce to an ordinary address is greylisted like any mail; a VERP address with a sender too.
        assertEquals("0,1", client.ask("203.0.113.9", "", "bob@example.org"));
        assertEquals("0,1", client.ask("203.0.113.9", "a@example.net", "list-bounces-42=example.net@lists.example.org"));
    }

    /**
     * The administrators' blacklist (greylitectl db blacklist add) wins over the VERP skip: a blacklisted client's
     * null-sender message to a VERP-looking recipient is refused, alone or with other recipients; other clients'
     * bounces still pass unrecorded, and the -w ranges stay ahead of everything.
     */
    @Test
    void aBlacklistedClientsBounceToAVerpAddressIsRefused() throws Exception {
        blacklist("10.31.0.0/24", "192.0.2.0/24");
        Path white = Files.writeString(dir.resolve("white"), "192.0.2.0/24\n");
        start("-w", white.toString());
        assertEquals("0,2", client.ask("10.31.0.5", "", "user-x=y@example.org"));
        assertEquals("0,2", client.ask("10.31.0.5", "", "user@example.org", "user-x=y@example.org"));
        assertEquals("0,2", client.ask("10.31.0.5", ".", "user-x=y@example.org"));
        assertEquals("1,4", client.ask("10.31.1.5", "", "user-x=y@example.org"));
        assertEquals("1,1", client.ask("192.0.2.9", "", "user-x=y@example.org"));
        assertEquals(0, count("SELECT COUNT(*) FROM triplet"));
    }

    /**
     * greydaemon looked at the client before the rest of the request: a known address is answered 1,2 whatever the
     * message is, a bounce to a VERP address too, and each of its messages renews it. A known address whose only
     * mail for a week was bounces stayed known; here it was forgotten and its next message greylisted.
     */
    @Test
    void aKnownAddressIsAnsweredAsKnownForABounceToAVerpAddressAndStaysKnown() throws Exception {
        start();
        assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofDays(5));
        assertEquals("1,2", client.ask("198.51.100.7", "", "list-bounces-42=example.net@lists.example.org"));
        clock.advance(Duration.ofDays(4));
        assertEquals("1,2", client.ask("198.51.100.7", "carol@example.net", "dave@example.org"),
                "known 4 days after its last message, 9 after its pass (-t 7)");
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE sender = ''"));
    }

    /** greydaemon read the sender "." as the null sender: one triplet with "", and a bounce to a VERP address. */
    @Test
    void theSenderDotIsTheNullSender() throws Exception {
        start();
        assertEquals("1,4", client.ask("203.0.113.9", ".", "list-bounces-42=example.net@lists.example.org"));
        assertEquals("0,1", client.ask("203.0.113.10", "", "bob@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("203.0.113.10", ".", "bob@example.org"), "the retry of the same triplet");
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE sender = ''"));
    }

    /**
     * A request that lists no recipient is answered as greydaemon answered it: from the client alone for a -w
     * range (1,1) or a known address (1,2), whatever else the request holds; 1,3 for a well-formed one from any
     * other client (nothing to greylist); none for a malformed one from a client not known. Nothing is written.
     */
    @Test
    void aRequestWithoutRecipientsIsAnsweredAsGreydaemonAnsweredIt() throws Exception {
        blacklist("10.31.0.0/24");
        Path white = Files.writeString(dir.resolve("white"), "10.1\n");
        start("-w", white.toString());
        assertEquals("1,3", client.send(bytes("I192.0.2.1\0Fa@example.net\0")));
        assertEquals("1,1", client.send(bytes("I10.1.2.3\0")));
        assertEquals("1,1", client.send(bytes("I10.1.2.3\0Fa@example.net\0Xjunk\0")));
        assertEquals("0,2", client.send(bytes("I10.31.0.5\0Fa@example.net\0")));
        assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        assertEquals("1,2", client.send(bytes("I198.51.100.7\0Fa@example.net\0")));
        assertEquals("1,2", client.send(bytes("I198.51.100.7\0")));
        client.timeout(700);
        assertNull(client.send(bytes("I192.0.2.1\0")), "malformed, from a client not known");
        assertNull(client.send(bytes("I192.0.2.1\0Fa@example.net\0Xjunk\0")));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet"));
    }

    private static byte[] bytes(String datagram) {
        return datagram.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Blacklists the blocks in the greydb, as greylitectl db blacklist add does, before the daemon starts. */
    private void blacklist(String... blocks) {
        try (GreydbAdmin admin = GreylistStores.sqliteAdmin(greydb(), Duration.ofSeconds(5))) {
            for (String b : blocks) {
                admin.putListEntry(new ListEntry(b, true, clock.instant(), null, "test"));
            }
        }
    }

    @Test
    void malformedDatagramsGetNoAnswerAndTheDaemonGoesOn() throws Exception {
        start();
        client.timeout(700);
        List<byte[]> bad = List.of(
                new byte[0],
                new byte[] {0, 0, 0},
                "F a@example.net\0Tb@example.org\0".getBytes(StandardCharsets.UTF_8),          // no I
                "Imail.example.net\0Fa@example.net\0Tb@example.org\0".getBytes(StandardCharsets.UTF_8), // a name
                "I192.0.2.1\0Tb@example.org\0".getBytes(StandardCharsets.UTF_8),               // no F
                "I192.0.2.1\0Fa@example.net\0Xb@example.org\0".getBytes(StandardCharsets.UTF_8),
                "I192.0.2.1/24\0Fa@example.net\0Tb@example.org\0".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, 'I', 0, (byte) 0x80});
        for (byte[] datagram : bad) {
            assertNull(client.send(datagram), () -> "answered: " + new String(datagram, StandardCharsets.ISO_8859_1));
        }
        client.timeout(10_000);
        assertEquals("0,1", client.ask("192.0.2.1", "a@example.net", "b@example.org"));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet"));
    }

    /** A request from 192.0.2.1 by the null sender to {@code n} empty recipients, as qmail-smtpd would send it. */
    private static byte[] emptyRecipients(int n) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes("I192.0.2.1\0F\0".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < n; i++) {
            p.writeBytes("T\0".getBytes(StandardCharsets.US_ASCII));
        }
        return p.toByteArray();
    }

    @Test
    void aRequestListingMoreRecipientsThanTheLimitIsMalformedAndHoldsNoOtherBack() throws Exception {
        start();
        // The largest datagram UDP carries over IPv4, filled with empty recipients: some 32,000 of them.
        byte[] flood = emptyRecipients((Request.MAX_SIZE - "I192.0.2.1\0F\0".length()) / 2);
        assertEquals(Request.MAX_SIZE, flood.length);
        try (QmailSmtpdClient attacker = new QmailSmtpdClient(service.localAddress())) {
            attacker.sendOnly(flood);
            assertEquals("0,1", client.ask("192.0.2.2", "a@example.net", "b@example.org"));
            // The flood came first: decided, it would have been answered before the request after it was.
            attacker.timeout(700);
            assertNull(attacker.answer(), "the request past the recipient limit was answered");
            assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE client = '192.0.2.1'"));

            // At the limit, a request is decided as any other: its one triplet, listed a thousand times, is decided
            // once, and is new.
            attacker.timeout(10_000);
            assertEquals("0,1", attacker.send(emptyRecipients(Request.MAX_RECIPIENTS)));
            assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE client = '192.0.2.1'"));
            attacker.timeout(700);
            assertNull(attacker.send(emptyRecipients(Request.MAX_RECIPIENTS + 1)));
        }
    }

    @Test
    void aDatagramLongerThanTheLargestReadIsMalformedNotDecidedCut() throws Exception {
        startOn("[::1]:0", Map.of("GREYLITE_NO_SHIPPED_WHITELIST", ""));
        client.close();
        client = new QmailSmtpdClient(service.localAddress());
        // Over IPv6 a datagram may hold up to 65,527 bytes; read into MAX_SIZE + 1, a longer one is cut.
        for (int size : new int[] {Request.MAX_SIZE + 1, 65_527}) {
            String head = "I192.0.2.3\0Fa@example.net\0T";
            String recipient = "x".repeat(size - head.length() - "@example.org\0".length()) + "@example.org";
            byte[] datagram = (head + recipient + "\0").getBytes(StandardCharsets.US_ASCII);
            assertEquals(size, datagram.length);
            client.timeout(700);
            assertNull(client.send(datagram), () -> "answered a datagram of " + size + " bytes");
        }
        assertEquals(0, count("SELECT COUNT(*) FROM triplet"));
        // MAX_SIZE bytes are read whole, and decided.
        String head = "I192.0.2.3\0Fa@example.net\0T";
        String recipient = "x".repeat(Request.MAX_SIZE - head.length() - "@example.org\0".length()) + "@example.org";
        client.timeout(10_000);
        assertEquals("0,1", client.send((head + recipient + "\0").getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void anEmptyRecipientIsARecipientLikeAnyOther() throws Exception {
        start();
        // Stock qmail-smtpd accepts RCPT TO:<> and lists it as "T" and a NUL: the datagram exactly as it sends it.
        byte[] datagram = "I198.18.20.1\0Fspammer@x.net\0Treal@y.org\0T\0".getBytes(StandardCharsets.US_ASCII);
        assertEquals("0,1", client.send(datagram));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE client = '198.18.20.1' AND sender = 'spammer@x.net'"
                + " AND recipient = '' AND passed_at IS NULL"));
        assertEquals(2, count("SELECT COUNT(*) FROM triplet WHERE client = '198.18.20.1'"));
        clock.advance(Duration.ofMinutes(4));
        assertEquals("0,2", client.send(datagram));
        clock.advance(Duration.ofMinutes(2));
        assertEquals("1,3", client.send(datagram));
        // The empty recipient alone, from a new client: greylisted as well.
        assertEquals("0,1", client.ask("198.18.20.2", "spammer@x.net", ""));
    }

    @Test
    void spacesAndCaseDoNotMakeANewTriplet() throws Exception {
        start();
        assertEquals("0,1", client.ask("192.0.2.30", "Alice@Example.NET", "Bob@Example.org"));
        clock.advance(Duration.ofMinutes(6));
        assertEquals("1,3", client.ask("192.0.2.30", "alice@example.net ", "bob@example.org"));
    }

    @Test
    void anUnreadableWhitelistStopsTheStartNamingIt() {
        Path absent = dir.resolve("absent");
        // A mistake in the command line (exit status 2), not a start that failed for now.
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> GreyDaemon.start(CommandLine.parse(List.of("-w", absent.toString(), "127.0.0.1:0",
                        greydb().toString())), Map.of(), clock).close());
        assertEquals("-w: " + absent + " cannot be read (no such file)", e.getMessage());
    }

    @Test
    void theLogReachesTheDatabaseFileWithoutWaitingForSqlitesOwnCheckpoint() throws Exception {
        start();
        for (int i = 0; i < 50; i++) {
            assertEquals("0,1", client.ask("192.0.2.40", "s@example.net", "r" + i + "@example.org"));
        }
        // The database file alone (without its -wal), copied: it holds the rows once they were checkpointed.
        // SQLite by itself would wait for 1,000 pages of log; 50 small decisions are far fewer.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int rows = -1;
        while (rows != 50 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            Path copy = dir.resolve("copy-" + System.nanoTime());
            Files.copy(greydb(), copy);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy);
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM triplet")) {
                rs.next();
                rows = rs.getInt(1);
            }
        }
        assertEquals(50, rows);
    }

    private int count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + greydb());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
