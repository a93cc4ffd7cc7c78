package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The wrapper with {@code GREYLITE_RCPT_ORDER=upstream-first} under the real tcpserver:
 * {@code tcpserver -> greylite -> ucspi2socket -> SubEthaSMTP}, an upstream that knows pass@ and grey@ and
 * refuses unknown@ with 550 5.1.1. One envelope mixes the three; only pass@ may get the message.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UpstreamFirstUnderTcpserverTest {

    private static final String PASS = "pass@example.com";
    private static final String GREY = "grey@example.com";
    private static final String UNKNOWN = "unknown@example.com";
    private static final String MESSAGE = "Subject: upstream first under tcpserver\r\n\r\nline one\r\nlast line\r\n";

    private record Received(List<String> recipients, byte[] data) {
    }

    @TempDir
    Path dir;

    private SMTPServer upstream;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;
    private final List<String> rcptsHeard = new CopyOnWriteArrayList<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startUpstream() {
        upstream = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress()).hostName("upstream.example")
                .insertReceivedHeaders(false).messageHandlerFactory(this::handler).build();
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.stop();
    }

    private MessageHandler handler(MessageContext context) {
        List<String> recipients = new ArrayList<>();
        return new MessageHandler() {
            @Override
            public void from(String from) {
            }

            @Override
            public void recipient(String recipient) throws RejectException {
                rcptsHeard.add(recipient);
                if (!Set.of(PASS, GREY).contains(recipient)) {
                    throw new RejectException(550, "5.1.1 <" + recipient + ">: User unknown");
                }
                recipients.add(recipient);
            }

            @Override
            public String data(InputStream data) throws IOException {
                received.add(new Received(List.copyOf(recipients), data.readAllBytes()));
                return null;
            }

            @Override
            public void done() {
            }
        };
    }

    private void mixedEnvelope(boolean pipelined, boolean bdat) throws Exception {
        Path db = dir.resolve("greylite.db");
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1",
                        Integer.toString(upstream.getPortAllocated())),
                Map.of("GREYLIST", "", "DBFILE", db.toString(), "GREYLITE_MIN_DELAY", "0",
                        "GREYLITE_RCPT_ORDER", "upstream-first"));
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.reply();
            c.command("EHLO client.example");
            c.command("MAIL FROM:<sender@example.org>");
            assertGreylisted(PASS, c.command("RCPT TO:<" + PASS + ">"), "pass@'s first attempt");
            c.command("QUIT");
        }
        rcptsHeard.clear();
        List<String> replies = new ArrayList<>();
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.reply();
            String ehlo = c.command("EHLO client.example");
            assertTrue(ehlo.startsWith("250 "), ehlo);
            String envelope = "MAIL FROM:<sender@example.org>\r\nRCPT TO:<" + GREY + ">\r\nRCPT TO:<" + UNKNOWN + ">\r\n"
                    + "RCPT TO:<" + PASS + ">\r\n";
            String message = bdat ? "BDAT " + MESSAGE.length() + " LAST\r\n" + MESSAGE : "DATA\r\n";
            if (pipelined) {
                c.send(envelope + message);
                for (int i = 0; i < 5; i++) {
                    replies.add(c.reply());
                }
            } else {
                for (String line : envelope.split("\r\n")) {
                    replies.add(c.command(line));
                }
                c.send(message);
                replies.add(c.reply());
            }
            if (!bdat) {
                replies.add(c.command(MESSAGE + "."));
            }
            c.command("QUIT");
        }
        assertTrue(replies.get(0).startsWith("250"), replies.toString());
        assertGreylisted(GREY, replies.get(1));
        assertTrue(replies.get(2).startsWith("550 5.1.1 <" + UNKNOWN + ">"), "the upstream's own refusal: " + replies);
        assertTrue(replies.get(3).startsWith("250"), replies.toString());
        assertTrue(replies.get(bdat ? 4 : 5).startsWith("250"), replies.toString());
        assertEquals(1, received.size());
        assertEquals(List.of(PASS), received.get(0).recipients());
        assertEquals(MESSAGE, new String(received.get(0).data(), StandardCharsets.ISO_8859_1), "byte for byte");
        assertEquals(List.of(GREY, UNKNOWN, PASS, PASS), rcptsHeard,
                "each RCPT went upstream first, then the envelope was made again without grey@");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            assertEquals(0, rows(c, UNKNOWN), "the upstream's refusal writes nothing");
            assertEquals(1, rows(c, GREY));
        }
    }

    private static int rows(Connection c, String recipient) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM triplet WHERE recipient = ?")) {
            s.setString(1, recipient);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    @Test
    void oneCommandAtATimeWithData() throws Exception {
        mixedEnvelope(false, false);
    }

    @Test
    void pipelinedWithData() throws Exception {
        mixedEnvelope(true, false);
    }

    @Test
    void oneCommandAtATimeWithBdat() throws Exception {
        mixedEnvelope(false, true);
    }

    @Test
    void pipelinedWithBdat() throws Exception {
        mixedEnvelope(true, true);
    }
}
