package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * greylited with --rcpt-order upstream-first in front of a real SMTP server (SubEthaSMTP) that knows its
 * recipients and refuses the others with 550 5.1.1, over real sockets, with the real engine on a SQLite greydb.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamFirstTest {

    private static final Set<String> KNOWN = Set.of(MixedEnvelope.PASS, MixedEnvelope.GREY);

    /** One message the upstream received: its recipients and its bytes. */
    private record Received(List<String> recipients, byte[] data) {
    }

    @TempDir
    Path dir;

    private SMTPServer upstream;
    /** Every RCPT the upstream heard, accepted or not. */
    private final List<String> rcptsHeard = new CopyOnWriteArrayList<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startUpstream() {
        upstream = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress()).hostName("upstream.example")
                .insertReceivedHeaders(false).messageHandlerFactory(this::handler).build();
        upstream.start();
    }

    @AfterEach
    void stopUpstream() {
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
                if (!KNOWN.contains(recipient)) {
                    throw new RejectException(550, "5.1.1 <" + recipient + ">: Recipient address rejected: User unknown");
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

    private ProxyHarness proxy(String name) {
        return new ProxyHarness(dir.resolve(name + ".db"), new java.net.InetSocketAddress("127.0.0.1",
                upstream.getPortAllocated()), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test").withRcptOrder(RcptOrder.UPSTREAM_FIRST), b -> { });
    }

    private void mixedEnvelopeReachesOnlyThePassingRecipient(boolean pipelined, boolean bdat) throws Exception {
        String name = (pipelined ? "pipelined" : "one-by-one") + (bdat ? "-bdat" : "-data");
        InetAddress from = InetAddress.getByName("127.0.0.1");
        try (ProxyHarness proxy = proxy(name)) {
            MixedEnvelope.makePassKnown(proxy, from);
            rcptsHeard.clear();
            MixedEnvelope.send(proxy.address(), from, pipelined, bdat);
        }
        assertEquals(1, received.size(), name);
        assertEquals(List.of(MixedEnvelope.PASS), received.get(0).recipients(), name);
        assertEquals(MixedEnvelope.MESSAGE, new String(received.get(0).data(), StandardCharsets.ISO_8859_1),
                name + ": byte for byte");
        assertEquals(List.of(MixedEnvelope.GREY, MixedEnvelope.UNKNOWN, MixedEnvelope.PASS, MixedEnvelope.PASS),
                rcptsHeard, name + ": each RCPT went upstream first, then the envelope was made again without grey@");
        MixedEnvelope.assertNoRowForTheUnknownRecipient(dir.resolve(name + ".db"));
    }

    @Test
    void oneCommandAtATimeWithData() throws Exception {
        mixedEnvelopeReachesOnlyThePassingRecipient(false, false);
    }

    @Test
    void pipelinedWithData() throws Exception {
        mixedEnvelopeReachesOnlyThePassingRecipient(true, false);
    }

    @Test
    void oneCommandAtATimeWithBdat() throws Exception {
        mixedEnvelopeReachesOnlyThePassingRecipient(false, true);
    }

    @Test
    void pipelinedWithBdat() throws Exception {
        mixedEnvelopeReachesOnlyThePassingRecipient(true, true);
    }

    @Test
    void withOnlyAGreylistedRecipientDataIsRefusedAndTheUpstreamSeesNoMessage() throws Exception {
        try (ProxyHarness proxy = proxy("none-left"); RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<" + MixedEnvelope.SENDER + ">", 250);
            c.command("RCPT TO:<" + MixedEnvelope.GREY + ">", 451);
            c.command("RCPT TO:<" + MixedEnvelope.UNKNOWN + ">", 550);
            assertEquals("554 5.5.1 No valid recipients", c.command("DATA", 554));
            c.command("QUIT", 221);
        }
        assertTrue(received.isEmpty());
    }

    @Test
    void aBlacklistedClientGets554AndTheUpstreamNeverHearsItsRcpt() throws Exception {
        try (ProxyHarness proxy = proxy("blacklist")) {
            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("blacklist.db"))) {
                db.createStatement().executeUpdate(
                        "INSERT INTO blacklist (client, created, expires, comment) VALUES ('127.0.0.5/32', 0, NULL, 'test')");
            }
            try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.0.0.5")).hello()) {
                c.command("MAIL FROM:<" + MixedEnvelope.SENDER + ">", 250);
                String reply = c.command("RCPT TO:<" + MixedEnvelope.PASS + ">", 554);
                assertTrue(reply.contains("mail from your address is refused"), reply);
                c.command("QUIT", 221);
            }
        }
        assertFalse(rcptsHeard.contains(MixedEnvelope.PASS), "the upstream never heard the RCPT: " + rcptsHeard);
    }

    @Test
    void postmasterIsNeverGreylistedAndGetsTheUpstreamsAnswer() throws Exception {
        try (ProxyHarness proxy = proxy("postmaster"); RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<" + MixedEnvelope.SENDER + ">", 250);
            c.command("RCPT TO:<postmaster@example.com>", 550);
            c.command("QUIT", 221);
        }
        assertEquals(List.of("postmaster@example.com"), rcptsHeard);
    }
}
