package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which clients an {@code --inet} address lets in, as postgrey binds it: an IPv4 address (0.0.0.0 among them)
 * on IPv4 alone, and {@code *} (or no host) on every address, IPv6 too. The policy service hands out greydb
 * writes to whoever connects, so a listener that takes clients on a family the administrator did not name, and
 * whose firewall may not cover, lets them pre-record triplets and get through greylisting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyInetFamilyTest {

    private static final String GREYLISTED = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds";

    @TempDir
    Path dir;

    @Test
    void theIpv4WildcardTakesIpv4ClientsOnlyAsPostgreysDoes() throws Exception {
        try (RunningPolicy policy = TestPolicy.start(dir, "--inet=0.0.0.0:0")) {
            int port = policy.tcpAddress().getPort();
            try (PolicyClient c = PolicyClient.tcp(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port))) {
                assertEquals(GREYLISTED, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            }
            assertThrows(ConnectException.class,
                    () -> SocketChannel.open(new InetSocketAddress(InetAddress.getByName("::1"), port)).close(),
                    "0.0.0.0 must not take IPv6 clients");
        }
    }

    @Test
    void aStarTakesIpv6ClientsToo() throws Exception {
        try (RunningPolicy policy = TestPolicy.start(dir, "--inet=*:0")) {
            int port = policy.tcpAddress().getPort();
            try (PolicyClient c = PolicyClient.tcp(new InetSocketAddress(InetAddress.getByName("::1"), port))) {
                assertEquals(GREYLISTED, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            }
            try (PolicyClient c = PolicyClient.tcp(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port))) {
                assertEquals(GREYLISTED, c.ask(PolicyClient.rcpt("192.0.2.8", "a@example.net", "b@example.org")));
            }
        }
    }
}
