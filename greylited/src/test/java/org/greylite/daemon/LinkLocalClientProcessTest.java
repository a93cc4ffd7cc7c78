package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;

import org.greylite.net.AddressText;
import org.greylite.testing.GreydbDump;
import org.greylite.testing.SmtpLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client on the link, connecting from its link-local address to greylited on {@code [::]}: the socket reports the
 * address with the number of the interface it came in on ({@code fe80::1%2}). tcpserver's TCPREMOTEIP, Postfix's
 * {@code client_address} and qmail-smtpd's {@code I} field write the address alone, and a greydb shared by hosts
 * whose interfaces are numbered differently must key the client once: its key holds no zone.
 */
class LinkLocalClientProcessTest {

    @TempDir
    Path dir;

    ScriptedUpstream upstream;

    @BeforeEach
    void upstream() throws IOException {
        upstream = new ScriptedUpstream();
    }

    @AfterEach
    void cleanUp() throws IOException {
        upstream.close();
    }

    @Test
    void aLinkLocalClientIsKeyedByItsAddressWithoutTheZone() throws Exception {
        Inet6Address linkLocal = linkLocalAddress();
        Assumptions.assumeTrue(linkLocal != null || "true".equals(System.getenv("CI")),
                "no interface with a link-local IPv6 address");
        assertNotNull(linkLocal, "no interface with a link-local IPv6 address");
        String bare = AddressText.of(linkLocal.getAddress());
        Path db = dir.resolve("greylite.db");
        try (GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(db).listen("[::]:0")
                .args("--client-key", "ip").start()) {
            try (RawClient c = new RawClient(new InetSocketAddress(linkLocal, d.port), linkLocal).hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send(SmtpLines.command("RCPT TO:<b@example.com>"));
                assertTrue(c.reply().startsWith("451 "));
                c.command("QUIT", 221);
            }
            String decision = d.awaitLine("decision verdict=greylist ", Duration.ofSeconds(10));
            assertTrue(decision.contains(" key=" + bare + " "), decision);
        }
        String rows = GreydbDump.of(db);
        assertTrue(rows.contains(bare), rows);
        assertFalse(rows.contains("%"), rows);
    }

    /** A link-local address of an interface that is up, with its zone; null when there is none. */
    private static Inet6Address linkLocalAddress() throws SocketException {
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!i.isUp() || i.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(i.getInetAddresses())) {
                if (a instanceof Inet6Address && a.isLinkLocalAddress()) {
                    return (Inet6Address) a;
                }
            }
        }
        return null;
    }
}
