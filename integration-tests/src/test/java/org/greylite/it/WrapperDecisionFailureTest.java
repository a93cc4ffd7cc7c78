package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/greylite under tcpserver when deciding a RCPT fails in a way nothing foresaw: here an OutOfMemoryError, the
 * suspicion file being {@code /dev/zero}, read whole into the wrapper's 64 MB heap. The RCPT is answered as on a
 * greydb failure and the session goes on; the error is logged with its trace.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WrapperDecisionFailureTest {

    @TempDir
    Path dir;

    private Tcpserver tcpserver;

    @BeforeEach
    void requireTcpserver() throws IOException {
        ExternalPrograms.require("tcpserver");
    }

    @AfterEach
    void stopTcpserver() throws InterruptedException {
        if (tcpserver != null) {
            tcpserver.close();
        }
    }

    private Tcpserver start(String... pairs) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString(),
                "SUSPICION", "/dev/zero"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        tcpserver = Tcpserver.start(List.of(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir)), env);
        return tcpserver;
    }

    /** EHLO, MAIL, then the RCPT's reply; the session must go on to QUIT after it. */
    private static String rcptThenQuit(Tcpserver t) throws IOException {
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            c.patience(20_000);
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO client.example").startsWith("250 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            String reply = c.command("RCPT TO:<b@example.com>");
            assertEquals("250 ok", c.command("NOOP"), "the session goes on");
            assertEquals("221 fake.example bye", c.command("QUIT"));
            assertTrue(c.closedByServer());
            return reply;
        }
    }

    private static void assertLoggedWithItsTrace(Tcpserver t) throws InterruptedException {
        String line = t.awaitLine(l -> l.contains("ERROR") && l.contains("greylisting failed unexpectedly"),
                Duration.ofSeconds(5));
        assertNotNull(line, String.join("\n", t.log()));
        assertNotNull(t.awaitLine(l -> l.contains("java.lang.OutOfMemoryError"), Duration.ofSeconds(5)));
        assertEquals(List.of(0), t.awaitEnds(1, Duration.ofSeconds(15)), "PROGRAM ended with the session's QUIT");
    }

    @Test
    void theRcptIsAcceptedAsOnAGreydbFailure() throws Exception {
        Tcpserver t = start();
        assertEquals("250 ok", rcptThenQuit(t), "fail open: the RCPT went to the upstream");
        assertLoggedWithItsTrace(t);
    }

    @Test
    void failingClosedTheRcptGets451() throws Exception {
        Tcpserver t = start("GREYLITE_FAIL_CLOSED", "1");
        String reply = rcptThenQuit(t);
        assertTrue(reply.startsWith("451 4.3.0 "), reply);
        assertLoggedWithItsTrace(t);
    }
}
