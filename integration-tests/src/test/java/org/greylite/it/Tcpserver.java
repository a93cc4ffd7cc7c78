package org.greylite.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.FreePort;

/**
 * The real tcpserver (Debian's ucspi-tcp) running a chain of the bin/ launchers, as a run script would.
 * Its stderr (tcpserver's own lines and everything the chain logs) is collected for the assertions.
 */
final class Tcpserver implements AutoCloseable {

    /** Variables a developer's shell might have set that would change what the chain does. */
    private static final List<String> SCRUBBED = List.of("GREYLIST", "RELAYCLIENT", "WHITELISTED", "BLACKLISTED",
            "DBFILE", "SUSPICION", "GREETDELAY", "LOGTHRESHOLD", "LOGPID", "DNSBL", "DNSCACHEIP", "JAVA_OPTS",
            "GREYLITE_MIN_DELAY", "GREYLITE_RETRY_WINDOW", "GREYLITE_WHITELIST_LIFETIME", "GEOIPDB_FILE");
    private static final Pattern END = Pattern.compile("tcpserver: end (\\d+) status (\\d+)");

    private final Process process;
    private final int port;
    private final List<String> log = new ArrayList<>();

    private Tcpserver(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts {@code tcpserver -v -R -H -l0 [options] 127.0.0.1 PORT program...} with {@code env} added to
     * its environment (tcpserver hands its environment down the chain) and waits until it listens.
     */
    static Tcpserver start(List<String> program, Map<String, String> env, String... options) throws Exception {
        Path tcpserver = ExternalPrograms.require("tcpserver");
        Launchers.requireBuilt();
        // tcpserver needs a fixed port: take a free one and hand it over; another process could take it
        // in between, so a failed start is tried again on another port.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = FreePort.loopback();
            List<String> command = new ArrayList<>(List.of(tcpserver.toString(), "-v", "-R", "-H", "-l0"));
            command.addAll(List.of(options));
            command.add("127.0.0.1");
            command.add(Integer.toString(port));
            command.addAll(program);
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            SCRUBBED.forEach(pb.environment()::remove);
            pb.environment().putAll(env);
            Tcpserver t = new Tcpserver(pb.start(), port);
            t.drainStderr();
            if (t.awaitLine(l -> l.contains("tcpserver: status: 0/"), Duration.ofSeconds(10)) != null) {
                return t;
            }
            t.close();
        }
        fail("tcpserver did not start listening");
        return null;
    }

    int port() {
        return port;
    }

    /** Everything tcpserver and the chain wrote to stderr so far. */
    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The lines the chain itself logged: tcpserver's own bookkeeping lines left out. */
    List<String> chainLog() {
        return log().stream().filter(l -> !l.startsWith("tcpserver: ")).toList();
    }

    /** Waits for a stderr line that matches; null when none came within the time. */
    String awaitLine(Predicate<String> match, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (log) {
            while (true) {
                for (String l : log) {
                    if (match.test(l)) {
                        return l;
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return null;
                }
                log.wait(left);
            }
        }
    }

    /**
     * Waits until {@code n} connections have ended and returns the wait statuses tcpserver reported
     * ("end PID status N": N is the raw wait status, 256 times the exit status).
     */
    List<Integer> awaitEnds(int n, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            List<Integer> statuses = new ArrayList<>();
            for (String l : log()) {
                Matcher m = END.matcher(l);
                if (m.find()) {
                    statuses.add(Integer.parseInt(m.group(2)));
                }
            }
            if (statuses.size() >= n) {
                return statuses;
            }
            assertTrue(System.nanoTime() < deadline, "only " + statuses.size() + " of " + n
                    + " connections ended; tcpserver said:\n" + String.join("\n", log()));
            synchronized (log) {
                log.wait(100);
            }
        }
    }

    private void drainStderr() {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (log) {
                        log.add(line);
                        log.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // tcpserver was stopped
            }
        }, "tcpserver-stderr");
        t.setDaemon(true);
        t.start();
    }

    /** Stops tcpserver and whatever it started that is still running. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        process.waitFor(5, TimeUnit.SECONDS);
        children.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
