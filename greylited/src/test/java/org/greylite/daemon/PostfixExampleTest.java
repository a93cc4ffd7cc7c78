package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreylistStores;
import org.greylite.store.ListEntry;
import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What examples/postfix/README.md says a reader will see, with its master.cf.snippet as written: a real Postfix with
 * the snippet's options on its smtpd, a greylited process in front of it, and the replies its "Trying it" commands
 * get (as swaks sends them from the host itself, 127.0.0.1). Also what the README says of the administrators'
 * blacklist: 554 at RCPT, except at postmaster@, which is never refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostfixExampleTest {

    private static final String DOMAIN = "your.domain";

    @TempDir
    Path dir;

    private PostfixServer postfix;
    private GreylitedProcess greylited;

    @AfterEach
    void stop() throws Exception {
        if (greylited != null) {
            greylited.close();
        }
        if (postfix != null) {
            postfix.close();
        }
    }

    /** The {@code -o name=value} lines of the example's master.cf service, as written there. */
    private static String[] snippetOptions() throws IOException {
        Path snippet = ConfigurationReferenceTest.repositoryRoot().resolve("examples/postfix/master.cf.snippet");
        List<String> options = new ArrayList<>();
        for (String line : Files.readAllLines(snippet)) {
            String t = line.strip();
            if (t.startsWith("-o ")) {
                options.add(t.substring(3).strip());
            }
        }
        assertTrue(options.contains("mynetworks="), "the snippet's options: " + options);
        return options.toArray(String[]::new);
    }

    private void start(Path db) throws Exception {
        postfix = PostfixServer.in(dir.resolve("postfix"))
                .main("mydestination", DOMAIN)
                .main("relay_domains", "")
                .listener("mx", snippetOptions())
                .start();
        greylited = GreylitedProcess.command(postfix.address("mx")).db(db).start();
    }

    /** One transaction from {@code from} to {@code at}: the RCPT's reply, and DATA's when {@code data} and RCPT passed. */
    private static List<String> send(InetSocketAddress at, InetAddress from, String sender, String rcpt, boolean data)
            throws IOException {
        List<String> replies = new ArrayList<>();
        try (RawClient c = new RawClient(at, from)) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<" + sender + ">", 250);
            c.send("RCPT TO:<" + rcpt + ">\r\n");
            replies.add(c.reply());
            if (data && replies.get(0).startsWith("250")) {
                c.send("DATA\r\n");
                replies.add(c.reply());
            }
        }
        return replies;
    }

    private static String rcpt(InetSocketAddress at, String rcpt) throws IOException {
        return send(at, InetAddress.getByName("127.0.0.1"), "you@example.org", rcpt, false).get(0);
    }

    @Test
    void theTryingItCommandsGetTheRepliesTheReadmeSays() throws Exception {
        start(dir.resolve("greylite.db"));
        // Through greylited: a recipient of your domain is greylisted; postmaster@ never is, Postfix takes it.
        assertEquals("451 4.7.1 <someone@your.domain>: greylisted, please retry in 301 seconds",
                rcpt(greylited.address(), "someone@" + DOMAIN).strip());
        assertTrue(rcpt(greylited.address(), "postmaster@" + DOMAIN).startsWith("250 "), "postmaster@ is exempt");
        // Postfix directly, from the host itself: 127.0.0.1 is trusted to relay no more.
        String relay = rcpt(postfix.address("mx"), "someone@elsewhere.example");
        assertTrue(relay.startsWith("554 5.7.1 ") && relay.contains("Relay access denied"), relay);
        assertTrue(rcpt(postfix.address("mx"), "postmaster@" + DOMAIN).startsWith("250 "),
                "a recipient of your domain is no relaying");
        // Postfix skips white space before a command: " RCPT" is a RCPT to it, and must not pass greylited undecided.
        assertTrue(rcpt(postfix.address("mx"), "postmaster@" + DOMAIN, " RCPT").startsWith("250 "),
                "Postfix takes a RCPT with white space before it");
        assertEquals("500 5.5.2 syntax error: command line begins with white space",
                rcpt(greylited.address(), "someone@" + DOMAIN, " RCPT").strip());
    }

    /** A RCPT line written as {@code verb} (" RCPT", with white space before it, say) from 127.0.0.1: its reply. */
    private static String rcpt(InetSocketAddress at, String rcpt, String verb) throws IOException {
        try (RawClient c = new RawClient(at, InetAddress.getByName("127.0.0.1"))) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<you@example.org>", 250);
            c.send(verb + " TO:<" + rcpt + ">\r\n");
            return c.reply();
        }
    }

    @Test
    void aBlacklistedClientIsRefusedAtEveryRcptButPostmasters() throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreydbAdmin admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5))) {
            admin.putListEntry(new ListEntry("127.0.0.5/32", true, Instant.now(), null, "spam run"));
        }
        start(db);
        InetAddress black = InetAddress.getByName("127.0.0.5");
        String refused = send(greylited.address(), black, "a@example.net", "someone@" + DOMAIN, false).get(0);
        assertTrue(refused.startsWith("554 5.7.1 "), refused);
        assertEquals("250", send(greylited.address(), black, "a@example.net", "postmaster@" + DOMAIN, false)
                .get(0).substring(0, 3), "postmaster@ reaches Postfix");
        // A bounce (the null sender) is decided at DATA: its RCPT gets Postfix's answer, its DATA the refusal.
        List<String> bounce = send(greylited.address(), black, "", "someone@" + DOMAIN, true);
        assertTrue(bounce.get(0).startsWith("250 ") && bounce.get(1).startsWith("554 5.7.1 "), bounce.toString());
    }
}
