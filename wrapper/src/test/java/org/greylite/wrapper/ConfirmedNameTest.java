package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.Dnsmasq;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * TCPREMOTEHOST counts as the client's name only when its forward records include TCPREMOTEIP: checked against
 * a real dnsmasq on loopback, where mx.example.com is 127.0.0.1 and liar.example.com is 127.0.0.99, with the
 * client at 127.0.0.1 claiming one name or the other as tcpserver without -p would pass it on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfirmedNameTest {

    private static Dnsmasq dns;

    @BeforeAll
    static void startDns() throws Exception {
        // Under example.com, a registrable domain by the Public Suffix List, so that the smart key can be a domain.
        dns = Dnsmasq.serving("mx.example.com.", List.of("--local=/example.com/",
                "--host-record=mx.example.com,127.0.0.1", "--host-record=liar.example.com,127.0.0.99",
                "--host-record=2001-db8-1-2--5.v6.example.com,2001:db8:1:2::5",
                "--host-record=20010db8000900090000000000000006.example.com,2001:db8:9:9::6"));
    }

    @AfterAll
    static void stopDns() {
        if (dns != null) {
            dns.close();
        }
    }

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        return Harness.env(dir.resolve("greylite.db"), Harness.pairs(new String[] {"TCPREMOTEIP", "127.0.0.1", "DNSCACHEIP", "127.0.0.1:" + dns.port(), "GREYLITE_MIN_DELAY", "0", "GREYLITE_NO_SHIPPED_WHITELIST", ""}, pairs));
    }

    /** The reply to the first RCPT of a session with {@code env}. */
    private static String firstRcpt(Map<String, String> env) throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env)) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
            String reply = h.command("RCPT TO:<b@example.com>");
            assertEquals("221 bye", h.command("QUIT"));
            return reply;
        }
    }

    private Path knownSenders() throws Exception {
        return Files.writeString(dir.resolve("known-senders"), "suffix example.com the test zone's mail servers\n");
    }

    private List<String> clientKeys() throws Exception {
        List<String> keys = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT client FROM triplet")) {
            while (r.next()) {
                keys.add(r.getString(1));
            }
        }
        return keys;
    }

    @Test
    void aClaimedNameWhoseAddressIsAnotherDoesNotMakeAKnownSender() throws Exception {
        String reply = firstRcpt(env("TCPREMOTEHOST", "liar.example.com",
                "GREYLITE_WHITELIST_FILES", knownSenders().toString()));
        assertTrue(reply.startsWith("451 4.7.1 <b@example.com>: greylisted"), reply);
    }

    @Test
    void aConfirmedNameOnTheKnownSendersListSkipsGreylisting() throws Exception {
        assertEquals("250 ok", firstRcpt(env("TCPREMOTEHOST", "mx.example.com",
                "GREYLITE_WHITELIST_FILES", knownSenders().toString())));
    }

    @Test
    void theSmartKeyIsTheAddressesNetworkUnlessTheNameIsConfirmed() throws Exception {
        assertTrue(firstRcpt(env("TCPREMOTEHOST", "liar.example.com")).startsWith("451 "));
        assertEquals(List.of("127.0.0.0/24"), clientKeys());
        assertTrue(firstRcpt(env("TCPREMOTEHOST", "mx.example.com")).startsWith("451 "), "a new client key");
        assertEquals(List.of("127.0.0.0/24", "example.com"), clientKeys().stream().sorted().toList());
    }

    @Test
    void anIpv6NameThatSpellsTheAddressKeysTheClientOnItsNetwork() throws Exception {
        // Such names are a pool's (sslip.io's, a provider's for its customers): keyed on example.com, an address of
        // another network passed on the triplet the first one was refused on, and a pass would whitelist them all.
        String reply = firstRcpt(env("TCPREMOTEIP", "2001:db8:1:2::5", "TCPREMOTEHOST", "2001-db8-1-2--5.v6.example.com"));
        assertTrue(reply.startsWith("451 "), reply);
        reply = firstRcpt(env("TCPREMOTEIP", "2001:db8:9:9::6", "TCPREMOTEHOST", "20010db8000900090000000000000006.example.com"));
        assertTrue(reply.startsWith("451 "), reply);
        assertEquals(List.of("2001:db8:1:2::/64", "2001:db8:9:9::/64"), clientKeys().stream().sorted().toList());
    }

    @Test
    void rLinesSeeTheNameInLowerCase() throws Exception {
        Path rules = Files.writeString(dir.resolve("suspicion"), "0 r \\.example\\.com$\n");
        assertEquals("250 ok", firstRcpt(env("TCPREMOTEHOST", "MX.EXAMPLE.COM", "SUSPICION", rules.toString())),
                "tcpserver passes the name as the PTR record spells it; DNS names ignore case");
    }

    @Test
    void withoutAConfirmedNameTheClientHasTheEmptyName() throws Exception {
        Path rules = Files.writeString(dir.resolve("suspicion"), "0 r ^$\n");
        assertEquals("250 ok", firstRcpt(env("TCPREMOTEHOST", "liar.example.com", "SUSPICION", rules.toString())));
    }

    @Test
    void aResolverThatNeverAnswersCountsAsNoConfirmationWithinTheBound() throws Exception {
        try (DatagramSocket silent = Dnsmasq.blackHole()) {
            long start = System.nanoTime();
            String name = ConfirmedName.confirm("mx.example.com", InetAddress.getByName("127.0.0.1"),
                    "127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(500)).get(10, TimeUnit.SECONDS);
            assertEquals("", name);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "bounded by the timeout");
        }
    }

    @Test
    void aResolverThatFailsIsSaidToHaveFailedNotToHaveDeniedTheName() throws Exception {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(ConfirmedName.class);
        Level level = logger.getLevel();
        lines.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(lines);
        try (DatagramSocket failing = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> answerServfail(failing), "servfail");
            server.setDaemon(true);
            server.start();
            String name = ConfirmedName.confirm("mx.example.com", InetAddress.getByName("127.0.0.1"),
                    "127.0.0.1:" + failing.getLocalPort(), Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
            assertEquals("", name, "a failed lookup confirms nothing");
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(level);
        }
        List<String> said = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(List.of("client 127.0.0.1: TCPREMOTEHOST mx.example.com not confirmed (the lookup failed: the"
                + " resolver answered SERVFAIL); the session has no name"), said);
    }

    /** A DNS server that answers every query SERVFAIL. */
    private static void answerServfail(DatagramSocket socket) {
        byte[] buffer = new byte[512];
        try {
            while (true) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                Message answer = new Message(query.getHeader().getID());
                answer.getHeader().setFlag(Flags.QR);
                answer.getHeader().setRcode(Rcode.SERVFAIL);
                answer.addRecord(query.getQuestion(), Section.QUESTION);
                byte[] wire = answer.toWire();
                socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            }
        } catch (IOException e) {
            // the socket was closed: the test is over
        }
    }
}
