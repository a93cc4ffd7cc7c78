package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * greydaemon told to listen on a wildcard ({@code 0.0.0.0}, {@code [::]}) answers each request from the address
 * it was sent to. The patched qmail-smtpd asks from a connected UDP socket, which drops an answer from any other
 * address; it then waits out its timeout and lets the mail in. On one host the case shows when the client's own
 * address is not the one it asks: a client on the loopback address asking another address of the host, as a
 * qmail-smtpd elsewhere asks a secondary or floating address and is answered from the primary one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WildcardListenTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private RunningGreydaemon daemon;

    private int start(String wildcard) throws IOException {
        daemon = GreyDaemon.start(CommandLine.parse(List.of(wildcard + ":0", dir.resolve("greydb").toString())),
                Map.of("GREYLITE_NO_SHIPPED_WHITELIST", ""), clock);
        return daemon.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** What a qmail-smtpd on {@code from} asking {@code asked} gets for a new triplet: "0,1", or null. */
    private static String ask(InetAddress from, InetAddress asked, int port, String recipient) throws IOException {
        try (QmailSmtpdClient c = new QmailSmtpdClient(new InetSocketAddress(asked, port), from)) {
            c.timeout(3_000); // the patched qmail-smtpd's wait
            return c.ask("198.51.100.7", "alice@example.net", recipient);
        }
    }

    @Test
    void anotherAddressOfTheHostIsAnsweredFromItself() throws Exception {
        InetAddress other = hostAddress(Inet4Address.class);
        int port = start("0.0.0.0");
        assertEquals("0,1", ask(InetAddress.getByName("127.0.0.1"), other, port, "one@example.org"),
                "asked on " + other + " from 127.0.0.1");
        assertEquals("0,1", ask(null, InetAddress.getByName("127.0.0.1"), port, "two@example.org"));
    }

    @Test
    void underTheIpv6WildcardBothFamiliesAreAnsweredFromTheAddressAsked() throws Exception {
        InetAddress other4 = hostAddress(Inet4Address.class);
        int port = start("[::]");
        assertEquals("0,1", ask(InetAddress.getByName("127.0.0.1"), other4, port, "one@example.org"));
        InetAddress loopback6 = InetAddress.getByName("::1");
        Optional<InetAddress> other6 = find(Inet6Address.class);
        if (!isLocal(loopback6)) {
            return; // no IPv6 here: the IPv4 part above is all that can be shown
        }
        assertEquals("0,1", ask(null, loopback6, port, "two@example.org"));
        if (other6.isPresent()) {
            assertEquals("0,1", ask(loopback6, other6.get(), port, "three@example.org"),
                    "asked on " + other6.get() + " from ::1");
        }
    }

    /**
     * An address added to the host after the start (a floating address keepalived moves here) is served within
     * the scan interval; once removed, its socket is let go (SIGHUP scans at once). 127.0.0.0/8 is local as a
     * whole, but only an address on an interface has a socket of its own: before it is added, a request to it
     * reaches no socket.
     */
    @Test
    void anAddressAddedAfterTheStartIsServedAndOneRemovedIsLetGo() throws Exception {
        Path ip = ExternalPrograms.require("ip");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        int port = start("0.0.0.0");
        InetAddress added = InetAddress.getByName("127." + ThreadLocalRandom.current().nextInt(200, 250) + "."
                + ThreadLocalRandom.current().nextInt(1, 255) + "." + ThreadLocalRandom.current().nextInt(1, 255));
        assertNull(ask(loopback, added, port, "before@example.org"), "no socket on " + added + " yet");
        try (AddedAddress a = AddedAddress.add(ip, added)) {
            String answer = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; answer == null && System.nanoTime() < deadline; i++) {
                answer = ask(loopback, added, port, "after" + i + "@example.org");
            }
            assertEquals("0,1", answer, "asked on " + added + " from 127.0.0.1 after it was added");
        }
        daemon.reload();
        String answer = "not asked";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int i = 0; answer != null && System.nanoTime() < deadline; i++) {
            answer = ask(loopback, added, port, "removed" + i + "@example.org");
        }
        assertNull(answer, "the socket on " + added + " is closed once the address left the host");
        assertEquals("0,1", ask(null, loopback, port, "still@example.org"));
    }

    /**
     * An address the host has but cannot use yet (IPv6, checked for duplicates on its link: tentative while the
     * link is down) does not stop the start under {@code [::]}: it is said, the others are served, and it is
     * served once usable. Bound at start or else stopping it, a link down at boot (or an address found duplicated
     * there) kept greydaemon from starting at all.
     */
    @Test
    void anAddressNotUsableYetIsServedOnceItIs() throws Exception {
        Path ip = ExternalPrograms.require("ip");
        String name = "gdw" + ThreadLocalRandom.current().nextInt(10_000, 100_000);
        InetAddress tentative = InetAddress.getByName("fd00:" + Integer.toHexString(
                ThreadLocalRandom.current().nextInt(0x100, 0x10000)) + "::1");
        InetAddress loopback6 = InetAddress.getByName("::1");
        Assumptions.assumeTrue(isLocal(loopback6), "no IPv6 here");
        try (Veth link = Veth.add(ip, name)) {
            link.run("addr", "add", tentative.getHostAddress() + "/64", "dev", name);
            int port = start("[::]");
            assertEquals("0,1", ask(null, InetAddress.getByName("127.0.0.1"), port, "one@example.org"));
            link.run("link", "set", name, "up");
            link.run("link", "set", name + "p", "up"); // the link has a carrier: the duplicate check ends
            String answer = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; answer == null && System.nanoTime() < deadline; i++) {
                answer = ask(loopback6, tentative, port, "later" + i + "@example.org");
            }
            assertEquals("0,1", answer, "asked on " + tentative + " from ::1 once usable");
        }
    }

    /**
     * One link-local address on two links (fe80::1 is a common choice) is two addresses, each with its socket on
     * its own link: the request sent on either link is answered.
     */
    @Test
    void aLinkLocalAddressOnTwoLinksIsServedOnBoth() throws Exception {
        Path ip = ExternalPrograms.require("ip");
        String name = "gdw" + ThreadLocalRandom.current().nextInt(10_000, 100_000);
        String linkLocal = "fe80::" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0x10000));
        Assumptions.assumeTrue(isLocal(InetAddress.getByName("::1")), "no IPv6 here");
        try (Veth link = Veth.add(ip, name)) {
            for (String side : List.of(name, name + "p")) {
                link.run("addr", "add", linkLocal + "/64", "dev", side, "nodad");
                link.run("link", "set", side, "up");
            }
            int port = start("[::]");
            for (String side : List.of(name, name + "p")) {
                InetAddress asked = Inet6Address.getByAddress(null, InetAddress.getByName(linkLocal).getAddress(),
                        NetworkInterface.getByName(side));
                assertEquals("0,1", ask(null, asked, port, side + "@example.org"), "asked on " + asked);
            }
        }
    }

    /**
     * The port taken on one of the host's addresses (an old greydaemon on 127.0.0.1, say) stops the start, as
     * the wildcard's own socket did: the daemon that took it would get the requests to that address.
     */
    @Test
    void aPortTakenOnOneAddressStopsTheStartNamingIt() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            IOException e = assertThrows(IOException.class, () -> GreyDaemon.start(CommandLine.parse(List.of(
                    "0.0.0.0:" + taken.getLocalPort(), dir.resolve("greydb").toString())),
                    Map.of("GREYLITE_NO_SHIPPED_WHITELIST", ""), clock));
            assertTrue(e.getMessage().contains("cannot bind UDP 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
    }

    /** A host address of {@code family} other than loopback and link-local, or the test is skipped. */
    private static InetAddress hostAddress(Class<? extends InetAddress> family) throws SocketException {
        Optional<InetAddress> a = find(family);
        Assumptions.assumeTrue(a.isPresent(), "this host has no " + family.getSimpleName()
                + " address besides loopback");
        return a.get();
    }

    private static Optional<InetAddress> find(Class<? extends InetAddress> family) throws SocketException {
        List<InetAddress> all = new ArrayList<>();
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (i.isUp()) {
                all.addAll(Collections.list(i.getInetAddresses()));
            }
        }
        return all.stream().filter(family::isInstance)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst();
    }

    private static boolean isLocal(InetAddress a) {
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** A pair of virtual interfaces NAME and NAMEp, down, removed on close; the test is skipped where refused. */
    private record Veth(Path ip, String name) implements AutoCloseable {

        static Veth add(Path ip, String name) throws IOException, InterruptedException {
            String out = AddedAddress.run(ip, "link", "add", name, "type", "veth", "peer", "name", name + "p");
            Assumptions.assumeTrue(out == null, "cannot add a veth pair here (root with CAP_NET_ADMIN needed): "
                    + out);
            return new Veth(ip, name);
        }

        void run(String... args) throws IOException, InterruptedException {
            String out = AddedAddress.run(ip, args);
            assertTrue(out == null, "ip " + String.join(" ", args) + ": " + out);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            run("link", "del", name); // its peer with it
        }
    }

    /** An address added to {@code lo} with ip(8), removed on close; the test is skipped where that is refused. */
    private record AddedAddress(Path ip, InetAddress address) implements AutoCloseable {

        static AddedAddress add(Path ip, InetAddress address) throws IOException, InterruptedException {
            String out = run(ip, "addr", "add", address.getHostAddress() + "/32", "dev", "lo");
            Assumptions.assumeTrue(out == null, "cannot add an address to lo here (root with CAP_NET_ADMIN"
                    + " needed): " + out);
            return new AddedAddress(ip, address);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            String out = run(ip, "addr", "del", address.getHostAddress() + "/32", "dev", "lo");
            assertTrue(out == null, "ip addr del: " + out);
        }

        /** Null when ip(8) succeeded, else what it said. */
        static String run(Path ip, String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(ip.toString()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : out;
        }
    }
}
