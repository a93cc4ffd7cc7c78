package org.greylite.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback port free for a program a test starts next (a PostgreSQL server, Postfix, tcpserver, dnsmasq), or one
 * nothing listens on.
 *
 * <p>Taken below the kernel's ephemeral range, not from {@code new ServerSocket(0)}: that hands a port of the range
 * every outgoing connection's local port comes from, and between the probe's close and the program's bind an
 * outgoing connection of another test (the suite makes thousands) could take it, the program then failing to
 * start. Each JVM starts at its own place in the range (the modules' tests run in JVMs side by side) and goes on
 * from there, so two rarely probe the same port at once; a port bound when probed is passed over.
 */
public final class FreePort {

    private static final int FIRST = 20_000;
    private static final int END = Math.min(32_768, ephemeralStart());
    private static final AtomicInteger NEXT = new AtomicInteger(
            (int) ((ProcessHandle.current().pid() * 7_919L + System.nanoTime()) % (END - FIRST)));

    private FreePort() {
    }

    /** A port on which neither a TCP listener nor a UDP socket of 127.0.0.1 is bound now. */
    public static int loopback() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int tries = 0; tries < END - FIRST; tries++) {
            int port = FIRST + Math.floorMod(NEXT.getAndIncrement(), END - FIRST);
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(false);
                tcp.bind(new InetSocketAddress(loopback, port), 1);
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, port))) {
                    return port;
                }
            } catch (IOException taken) {
                // bound by someone: the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free loopback port between " + FIRST + " and " + END));
    }

    /** Where the kernel's ephemeral ports begin (Linux: 32768 unless changed). */
    private static int ephemeralStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > FIRST + 1_000 ? start : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
