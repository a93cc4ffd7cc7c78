import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;

/**
 * How many messages get through on their first retry when big senders retry from another address of
 * their pool: the real greylisting engine on a real SQLite greydb, fed a synthetic day of traffic, once
 * per client identity mode (ip, net, smart). Run (after mvn -DskipTests package at the root):
 *
 *   java -cp "dist/target/lib/*" bench/pool-retries/PoolRetries.java
 *
 * The traffic (fixed seed, so every run gives the same figures): 2,000 messages over 24 hours, each
 * retried once, 5 to 30 minutes after its first attempt. Senders are drawn from these kinds:
 *   - pool providers (60%): every attempt leaves from a random address of 64 /24s, each address with
 *     a forward-confirmed name under the provider's domain (mail-xyz.google.com, a1-2.smtp-out.amazonses.com);
 *   - single-server senders (30%): one fixed address with a mail-server name;
 *   - end-user pools (10%): a dynamic-looking name, a random address of an ISP's /16 at each attempt.
 * The known-senders list is left out, to measure the identity alone.
 */
public class PoolRetries {

    private static final class SimClock extends Clock {
        Instant now = Instant.parse("2026-06-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private record Attempt(long at, String ip, String ptr, String from, String to, int message, boolean retry) {
    }

    public static void main(String[] args) throws Exception {
        List<Attempt> traffic = traffic(new Random(20261125), 2000);
        System.out.println("messages: 2000, each retried once 5-30 min later; passed on the first retry:");
        for (String mode : new String[] {"ip", "net", "smart"}) {
            System.out.printf("  %-6s %5.1f%%%n", mode, 100.0 * passedOnFirstRetry(traffic, ClientKeys.parse(mode)) / 2000);
        }
    }

    private static int passedOnFirstRetry(List<Attempt> traffic, ClientKeys keys) throws Exception {
        Path dir = Files.createTempDirectory("pool-retries");
        SimClock clock = new SimClock();
        Instant start = clock.now;
        int passed = 0;
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5))) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withClientKeys(keys),
                    clock, (r, v) -> { });
            for (Attempt a : traffic) {
                clock.now = start.plusSeconds(a.at());
                Verdict v = g.decide(new RcptRequest(InetAddress.getByName(a.ip()),
                        new ClientFacts(a.ip(), a.ptr(), "helo", a.from(), a.to(), null, null), null));
                if (a.retry() && v.accepted()) {
                    passed++;
                }
            }
        }
        return passed;
    }

    private static List<Attempt> traffic(Random rnd, int messages) {
        List<Attempt> out = new ArrayList<>();
        String[][] pools = {
            {"google.com", "209.85.%d.%d", "mail-%s.google.com"},
            {"amazonses.com", "54.240.%d.%d", "a%d-%d.smtp-out.amazonses.com"},
            {"outlook.com", "40.107.%d.%d", "mail-%s.outbound.protection.outlook.com"},
            {"sendgrid.net", "149.72.%d.%d", "o%d.ptr%d.sendgrid.net"},
        };
        for (int m = 0; m < messages; m++) {
            long first = (long) rnd.nextInt(86_400);
            long retry = first + 300 + rnd.nextInt(1500);
            String to = "user" + rnd.nextInt(50) + "@example.org";
            int kind = rnd.nextInt(10);
            if (kind < 6) {
                String[] p = pools[rnd.nextInt(pools.length)];
                String from = "noreply" + rnd.nextInt(200) + "@" + p[0];
                out.add(poolAttempt(rnd, p, first, from, to, m, false));
                out.add(poolAttempt(rnd, p, retry, from, to, m, true));
            } else if (kind < 9) {
                int server = rnd.nextInt(300);
                String ip = "192.0." + (server / 250 + 2) + "." + (server % 250 + 1);
                String ptr = "mx" + server + ".company" + server + ".example";
                String from = "staff@company" + server + ".example";
                out.add(new Attempt(first, ip, ptr, from, to, m, false));
                out.add(new Attempt(retry, ip, ptr, from, to, m, true));
            } else {
                String from = "someone" + m + "@isp.example";
                for (boolean isRetry : new boolean[] {false, true}) {
                    int a = rnd.nextInt(250);
                    int b = rnd.nextInt(250) + 1;
                    out.add(new Attempt(isRetry ? retry : first, "100.64." + a + "." + b,
                            "100-64-" + a + "-" + b + ".dsl.isp.example", from, to, m, isRetry));
                }
            }
        }
        out.sort((x, y) -> Long.compare(x.at(), y.at()));
        return out;
    }

    private static Attempt poolAttempt(Random rnd, String[] p, long at, String from, String to, int m, boolean retry) {
        int net = rnd.nextInt(64) * 4 + 1; // 64 /24s per provider, as large pools have
        int host = rnd.nextInt(250) + 1;
        String ip = String.format(p[1], net, host);
        String ptr = p[2].contains("%s") ? String.format(p[2], Integer.toString(net * 256 + host, 36))
                : String.format(p[2], net, host);
        return new Attempt(at, ip, ptr, from, to, m, retry);
    }
}
