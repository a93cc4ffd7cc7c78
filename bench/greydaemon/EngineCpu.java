import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.config.Logging;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;

/**
 * The CPU one greydaemon decision costs in the engine and the SQLite greydb, without the UDP socket and the
 * wake-ups around it: the thread's own CPU time ({@link ThreadMXBean}) over decisions of new triplets, decided
 * BATCH at a time in one transaction as greydaemon decides the requests that wait together, with greydaemon's
 * settings (the exact address as client key, N of 1) and its decision log (logback's configuration of
 * greylited, stderr batched; send it to /dev/null). On a shared machine the daemon's throughput moves with the
 * other programs' load by a third from one run to the next; this figure moves by a few per cent, so it is the one
 * to compare two builds by.
 *
 * <pre>java -cp 'dist/target/lib/*' bench/greydaemon/EngineCpu.java [BATCH [ROUNDS]] 2&gt;/dev/null</pre>
 *
 * Prints one line per round of 40,000 decisions, after three untimed rounds for the JIT.
 */
public class EngineCpu {

    static final int PER_ROUND = 40_000;

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Logging.configure(Map.of(), 6);
        System.setProperty("logback.configurationFile", "org/greylite/daemon/logback-text.xml");
        Path dir = Files.createTempDirectory("engine-cpu");
        GreylistStore store = GreylistStores.sqlite(dir.resolve("greydb"), Duration.ofSeconds(5));
        GreylistSettings settings = GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses());
        Greylister engine = new Greylister(store, facts -> new Suspicion(1, null), settings, Clock.systemUTC(),
                new DecisionLog());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long n = 0;
        for (int round = -3; round < rounds; round++) {
            long cpu = threads.getCurrentThreadCpuTime();
            long wall = System.nanoTime();
            for (int i = 0; i < PER_ROUND; i += batch) {
                List<RcptRequest> requests = new ArrayList<>(batch);
                for (int j = 0; j < batch; j++, n++) {
                    String ip = "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
                    ClientFacts f = new ClientFacts(ip, "", "", "s" + n + "@example.net",
                            "rcpt" + (n % 1000) + "@example.org", Map.of(), Set.of());
                    requests.add(new RcptRequest(InetAddress.getByName(ip), f, null));
                }
                engine.decideAll(requests, System.nanoTime());
            }
            if (round >= 0) {
                System.out.printf("batch=%d round=%d cpu_us_per_decision=%.1f wall_us_per_decision=%.1f%n", batch, round,
                        (threads.getCurrentThreadCpuTime() - cpu) / 1000.0 / PER_ROUND,
                        (System.nanoTime() - wall) / 1000.0 / PER_ROUND);
            }
        }
        store.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
