package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

import org.greylite.testing.SmtpLines;
import org.greylite.testing.Sqlite3Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What greylited, a real process, writes on stderr about a client: text the client made up cannot start a line,
 * fake a field or turn a line around, a name reads the same in the decision and the session line, and an IPv6
 * address is written as mail logs write it.
 */
class ClientTextInLogProcessTest {

    /** Characters no log line may hold: controls (C0, DEL, C1), line separators, bidirectional formatting. */
    private static final Pattern UNSAFE =
            Pattern.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]");

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    @Test
    void controlsSeparatorsAndBidiOverridesAClientSendsReachNoLogLineAndTheHeloReadsAlikeInBoth() throws Exception {
        try (GreylitedProcess d = GreylitedProcess.start(dir, upstream.address())) {
            try (RawClient c = new RawClient(d.address())) {
                c.expect(220);
                // UTF-8: an accented letter, RIGHT-TO-LEFT OVERRIDE, LINE SEPARATOR, NEL (U+0085, C1).
                c.send(SmtpLines.command("EHLO caf\u00e9\u202egro.elpmaxe\u2028x\u0085y")).expect(250);
                // Not UTF-8, so a character a byte: 0x9b is the C1 CSI that terminals take for ESC [, 0x85 NEL.
                c.send(SmtpLines.command("MAIL FROM:<a", new byte[] {(byte) 0x9b}, "2J", new byte[] {(byte) 0x85}, "b@example.org>"))
                        .expect(250);
                // UTF-8: RIGHT-TO-LEFT ISOLATE, a no-break space and a space-like separator in an address.
                c.send(SmtpLines.command("RCPT TO:<\u2067rcpt\u00a0x\u3000y@example.com>"));
                assertTrue(c.reply().startsWith("451 "));
                c.command("QUIT", 221);
            }
            String decision = d.awaitLine("decision verdict=greylist ", Duration.ofSeconds(10));
            String session = d.awaitLine("session end ", Duration.ofSeconds(10));

            String helo = "caf\u00e9?gro.elpmaxe?x?y";
            assertTrue(decision.contains(" helo=" + helo + " from=<a?2J?b@example.org> to=<?rcpt?x?y@example.com> "),
                    decision);
            assertTrue(session.contains(" helo=" + helo + " rcpt-accepted=0 rcpt-refused=1 "),
                    "the same name as in the decision line: " + session);
            for (String l : d.log) {
                assertFalse(UNSAFE.matcher(l).find(), "a character no log line may hold: " + escaped(l));
            }
        }
    }

    /**
     * The ERROR line of a greydb failure names the triplet it could not record: with the client's text shown as in
     * the decision line. It held the sender and recipient exactly as sent, so a client could write a C1 escape, a line
     * separator or a right-to-left override into the very line an administrator reads when something is wrong.
     */
    @Test
    void theGreydbFailureLineShowsTheTripletAsTheDecisionLineDoes() throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(db)
                .args("--busy-timeout", "1s").start();
             Sqlite3Lock lock = Sqlite3Lock.hold(db)) {
            try (RawClient c = new RawClient(d.address())) {
                c.expect(220);
                c.command("EHLO client.example", 250);
                // UTF-8: RIGHT-TO-LEFT OVERRIDE, the C1 CSI (U+009B), LINE SEPARATOR and a space.
                c.send(SmtpLines.command("MAIL FROM:<\u202egro.elpmaxe@a\u009b2J\u2028fake line>")).expect(250);
                c.command("RCPT TO:<b@example.com>", 250); // fail open: the greydb is locked
                c.command("QUIT", 221);
            }
            String failure = d.awaitLine("cannot record the decision for ", Duration.ofSeconds(10));
            assertTrue(failure.contains(" for client=127.0.0.0/24 from=<?gro.elpmaxe@a?2j?fake?line> to=<b@example.com>: "), escaped(failure));
            d.awaitLine("decision verdict=accept reason=store-error ", Duration.ofSeconds(10));
            for (String l : d.log) {
                assertFalse(UNSAFE.matcher(l).find(), "a character no log line may hold: " + escaped(l));
            }
        }
    }

    /** {@code s} with everything but printable ASCII as {@code \\uXXXX}, for a readable failure. */
    static String escaped(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return b.toString();
    }

    @Test
    void aHeloThatIsNotUtf8IsOneCharacterAByteInBothLines() throws Exception {
        try (GreylitedProcess d = GreylitedProcess.start(dir, upstream.address())) {
            try (RawClient c = new RawClient(d.address())) {
                c.expect(220);
                c.send(SmtpLines.command("HELO mx.b", new byte[] {(byte) 0xe4}, "r.example")).expect(250); // ISO-8859-1 "bär"
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send(SmtpLines.command("RCPT TO:<b@example.com>"));
                assertTrue(c.reply().startsWith("451 "));
                c.command("QUIT", 221);
            }
            String decision = d.awaitLine("decision verdict=greylist ", Duration.ofSeconds(10));
            String session = d.awaitLine("session end ", Duration.ofSeconds(10));
            assertTrue(decision.contains(" helo=mx.b\u00e4r.example "), decision);
            assertTrue(session.contains(" helo=mx.b\u00e4r.example "), session);
        }
    }

    @Test
    void onIpv6TheStartUpAndSessionLinesWriteAddressesAsRfc5952Does() throws Exception {
        try (GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(dir.resolve("greylite.db"))
                .listen("[::1]:0").start()) {
            String listening = d.awaitLine("listening on ", Duration.ofSeconds(1));
            assertTrue(listening.contains("listening on [::1]:" + d.port + ", relaying to 127.0.0.1:"), listening);
            try (RawClient c = new RawClient(d.address(), InetAddress.getByName("::1")).hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send(SmtpLines.command("RCPT TO:<b@example.com>"));
                assertTrue(c.reply().startsWith("451 "));
                c.command("QUIT", 221);
            }
            String decision = d.awaitLine("decision verdict=greylist ", Duration.ofSeconds(10));
            assertTrue(decision.contains(" client=::1 key=::/64 "), decision);
            String session = d.awaitLine("session end ", Duration.ofSeconds(10));
            assertTrue(session.contains("session end client=::1 ptr=- helo=client.example "), session);
            assertEquals(-1, String.join("\n", d.log).indexOf("0:0:0:0:0:0:0:1"), String.join("\n", d.log));
        }
    }
}
