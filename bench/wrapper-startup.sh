#!/bin/sh
# What the tcpserver wrapper costs a connection, measured through the real tcpserver:
#
#   baseline:  tcpserver -> ucspi2socket -> upstream
#   wrapper:   tcpserver -> greylite (GREYLIST set) -> ucspi2socket -> upstream
#   handover:  tcpserver -> greylite (GREYLIST unset) -> ucspi2socket -> upstream
#
# For each chain, RUNS connections one after the other (after WARMUP unmeasured ones); each measures
# the time from connect() to the upstream's 220 greeting, then sends QUIT. The upstream is a minimal
# SMTP server inside the measuring program. The figure that matters: wrapper median - baseline median
# (the target is under 250 ms).
#
# Then the /tmp check: TMPCHECK complete sessions (EHLO, MAIL, RCPT: the greydb and SQLite are used)
# through tcpserver -> greylite -> a shell SMTP server, and the number of files under /tmp before and
# after. The chain runs in a mount namespace of its own (unshare -m, root only) with an empty tmpfs on
# /tmp, so that what other programs do in /tmp meanwhile does not count; without unshare the machine's
# /tmp is counted, and only a quiet machine gives a clean figure.
#
# Usage: bench/wrapper-startup.sh [RUNS [TMPCHECK]]     (defaults: 30 and 1000; TMPCHECK=0 skips it)
# Needs: tcpserver (Debian: ucspi-tcp), a JDK; builds the jars if they are missing.
# Environment: WARMUP (default 3), CONCURRENCY for the /tmp check (default 4).
set -eu
# Asked for help, or given what is not a count, say how to run it rather than start measuring.
case "${1:-}" in
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
for n in "$@"; do
    case "$n" in
        ''|*[!0-9]*) echo "usage: bench/wrapper-startup.sh [RUNS [TMPCHECK]]  (counts; --help for more)" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
tmpcheck=${2:-1000}
warmup=${WARMUP:-3}
concurrency=${CONCURRENCY:-4}

command -v tcpserver >/dev/null || { echo "wrapper-startup: tcpserver is not installed (Debian: ucspi-tcp)" >&2; exit 111; }
if [ ! -f "$here/dist/target/greylite.jsa" ] || [ -z "$(ls "$here/dist/target/lib" 2>/dev/null)" ]; then
    echo "wrapper-startup: building (mvn -DskipTests package)..." >&2
    (cd "$here" && mvn -q -B -DskipTests package) >&2
fi

# Not under /tmp: the /tmp check hides /tmp from the chain, and the greydb must stay visible to it.
work=$(mktemp -d /var/tmp/wrapper-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/smtpd.sh" <<'SMTPD'
CR=$(printf '\r')
printf '220 bench ESMTP\r\n'
while IFS= read -r line; do
  case "${line%"$CR"}" in
    [Qq][Uu][Ii][Tt]) printf '221 bye\r\n'; exit 0 ;;
    *) printf '250 ok\r\n' ;;
  esac
done
SMTPD

cat > "$work/StartupBench.java" <<'JAVA'
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.stream.*;

public class StartupBench {
    static String home, work;

    public static void main(String[] a) throws Exception {
        home = a[0]; work = a[1];
        int runs = Integer.parseInt(a[2]), warmup = Integer.parseInt(a[3]);
        int tmpcheck = Integer.parseInt(a[4]), concurrency = Integer.parseInt(a[5]);
        ServerSocket upstream = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> serve(upstream), "upstream");
        acceptor.setDaemon(true);
        acceptor.start();
        String up = Integer.toString(upstream.getLocalPort());
        String u2s = home + "/bin/ucspi2socket", gl = home + "/bin/greylite";
        Map<String, String> env = Map.of("DBFILE", work + "/greylite.db", "GREYLITE_MIN_DELAY", "0");

        List<String> names = List.of("baseline  tcpserver -> ucspi2socket -> upstream",
                "wrapper   tcpserver -> greylite -> ucspi2socket -> upstream",
                "handover  tcpserver -> greylite (GREYLIST unset) -> ucspi2socket -> upstream");
        List<List<String>> programs = List.of(List.of(u2s, "127.0.0.1", up),
                List.of("env", "GREYLIST=", gl, u2s, "127.0.0.1", up),
                List.of(gl, u2s, "127.0.0.1", up));
        double[] medians = chains(names, programs, env, runs, warmup);
        System.out.printf(Locale.ROOT, "%nadded by greylite to the time to the greeting (medians): %.0f ms (GREYLIST set), %.0f ms (unset)%n",
                medians[1] - medians[0], medians[2] - medians[0]);
        if (tmpcheck > 0) {
            tmpCheck(List.of("env", "GREYLIST=", gl, "sh", work + "/smtpd.sh"), env, tmpcheck, concurrency);
        }
    }

    /**
     * Measures the chains connection by connection, in turn (so that a change in the machine's load
     * meanwhile touches them all alike); returns their medians in ms.
     */
    static double[] chains(List<String> names, List<List<String>> programs, Map<String, String> env, int runs, int warmup)
            throws Exception {
        List<Tcpserver> servers = new ArrayList<>();
        try {
            for (List<String> p : programs) servers.add(Tcpserver.start(p, env, 10));
            double[][] ms = new double[programs.size()][runs];
            for (int i = -warmup; i < runs; i++) {
                for (int c = 0; c < programs.size(); c++) {
                    double m = session(servers.get(c).port, false);
                    if (i >= 0) ms[c][i] = m;
                }
            }
            double[] medians = new double[programs.size()];
            for (int c = 0; c < programs.size(); c++) {
                double[] v = ms[c];
                Arrays.sort(v);
                medians[c] = v[runs / 2];
                System.out.printf(Locale.ROOT, "%-80s min %5.0f  median %5.0f  p90 %5.0f  max %5.0f  mean %5.0f ms (n=%d)%n",
                        names.get(c), v[0], v[runs / 2], v[(int) Math.min(runs - 1, Math.round(runs * 0.9))], v[runs - 1],
                        Arrays.stream(v).average().orElse(0), runs);
            }
            return medians;
        } finally {
            for (Tcpserver t : servers) t.stop();
        }
    }

    /** One connection: connect, read the greeting (timed), optionally EHLO/MAIL/RCPT, QUIT; returns ms to the greeting. */
    static double session(int port, boolean rcpt) throws IOException {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII);
            String greeting = in.readLine();
            long t1 = System.nanoTime();
            if (greeting == null || !greeting.startsWith("220")) throw new IOException("no greeting: " + greeting);
            if (rcpt) {
                String id = Long.toString(System.nanoTime(), 36);
                for (String c : new String[] {"EHLO bench.example", "MAIL FROM:<" + id + "@bench.example>", "RCPT TO:<rcpt@bench.example>"}) {
                    out.write(c + "\r\n"); out.flush();
                    String r;
                    do { r = in.readLine(); } while (r != null && r.length() > 3 && r.charAt(3) == '-');
                    if (r == null || !(r.startsWith("250") || r.startsWith("451 4.7.1"))) throw new IOException(c + ": " + r);
                }
            }
            out.write("QUIT\r\n"); out.flush();
            in.readLine();
            while (in.read() >= 0) { }   // until the chain closes the connection
            return (t1 - t0) / 1e6;
        }
    }

    static void tmpCheck(List<String> program, Map<String, String> env, int n, int concurrency) throws Exception {
        // A private /tmp for the chain when unshare works here; the machine's otherwise.
        List<String> isolated = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
                "mount -t tmpfs -o size=256m tmpfs /tmp && exec \"$@\"", "sh"));
        Tcpserver t;
        Path tmp;
        try {
            t = Tcpserver.start(program, env, concurrency + 2, isolated);
            tmp = Path.of("/proc", Long.toString(t.p.pid()), "root", "tmp");
        } catch (IllegalStateException e) {
            System.out.println("(unshare -m is not permitted here: counting the machine's /tmp)");
            t = Tcpserver.start(program, env, concurrency + 2, List.of());
            tmp = Path.of("/tmp");
        }
        long before = tmpFiles(tmp);
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long after;
        try {
            Tcpserver server = t;
            List<Future<Double>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) done.add(pool.submit(() -> session(server.port, true)));
            for (Future<Double> f : done) f.get();
            Thread.sleep(500);
            after = tmpFiles(tmp);
        } finally {
            pool.shutdown();
            t.stop();
        }
        System.out.printf(Locale.ROOT, "%n/tmp check: %d sessions (RCPT decided against the greydb) in %.0f s, %d at a time:"
                + " files under %s before %d, after %d (%s)%n", n, (System.nanoTime() - t0) / 1e9, concurrency,
                tmp.startsWith("/proc") ? "the chain's private /tmp" : "/tmp", before, after,
                after <= before ? "ok" : (after - before) + " MORE");
    }

    static long tmpFiles(Path tmp) throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            return s.filter(p -> !p.equals(tmp) && !p.startsWith(work)).count();
        } catch (UncheckedIOException e) {
            return tmpFiles(tmp); // a file vanished while counting: count again
        }
    }

    static void serve(ServerSocket ss) {
        while (true) {
            try {
                Socket s = ss.accept();
                Thread th = new Thread(() -> {
                    try (s) {
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                        Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII);
                        out.write("220 upstream ESMTP\r\n"); out.flush();
                        String l;
                        while ((l = in.readLine()) != null) {
                            boolean quit = l.equalsIgnoreCase("QUIT");
                            out.write(quit ? "221 bye\r\n" : "250 ok\r\n"); out.flush();
                            if (quit) break;
                        }
                    } catch (IOException ignored) { }
                });
                th.setDaemon(true);
                th.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    record Tcpserver(Process p, int port) {
        static Tcpserver start(List<String> program, Map<String, String> env, int limit) throws Exception {
            return start(program, env, limit, List.of());
        }

        /** With {@code prefix} before tcpserver in the command (e.g. unshare). */
        static Tcpserver start(List<String> program, Map<String, String> env, int limit, List<String> prefix) throws Exception {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { port = probe.getLocalPort(); }
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of("tcpserver", "-v", "-R", "-H", "-l0", "-c", Integer.toString(limit), "-b", Integer.toString(limit),
                    "127.0.0.1", Integer.toString(port)));
            cmd.addAll(program);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(env);
            Process p = pb.start();
            CountDownLatch ready = new CountDownLatch(1);
            Thread drain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream()))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (l.contains("status:")) ready.countDown();
                        else if (!l.startsWith("tcpserver: ")) System.err.println("  chain: " + l);
                    }
                } catch (IOException ignored) { }
            });
            drain.setDaemon(true);
            drain.start();
            if (!ready.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("tcpserver did not start");
            return new Tcpserver(p, port);
        }

        void stop() throws InterruptedException {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
JAVA

java -XX:+UseSerialGC "$work/StartupBench.java" "$here" "$work" "$runs" "$warmup" "$tmpcheck" "$concurrency"
