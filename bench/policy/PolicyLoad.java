import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for a Postfix policy service, as Postfix's smtpd processes give it: each client holds one connection and
 * sends one request at a time, waiting for its answer. Every request is a new triplet (a new client address,
 * sender and recipient), so every decision writes. Prints one line: label, connections, decisions, seconds,
 * decisions/s, p50/p99/max latency in ms, and the answers seen.
 *
 * <pre>java PolicyLoad.java HOST:PORT CONNECTIONS SECONDS LABEL [RUN-ID]</pre>
 */
public final class PolicyLoad {

    private static final AtomicLong NEXT = new AtomicLong();

    public static void main(String[] args) throws Exception {
        String[] hp = args[0].split(":");
        InetSocketAddress server = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        int connections = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        String label = args[3];
        String run = args.length > 4 ? args[4] : Long.toString(System.nanoTime() % 1_000_000_007L, 36);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long[][] latencies = new long[connections][];
        int[] counts = new int[connections];
        long[] deferred = new long[connections];
        CountDownLatch ready = new CountDownLatch(connections);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            int me = i;
            threads[i] = new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(server, 10_000);
                    s.setSoTimeout(60_000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    ready.countDown();
                    go.await();
                    while (System.nanoTime() < deadline) {
                        long k = NEXT.incrementAndGet();
                        byte[] req = request(k, run).getBytes(StandardCharsets.US_ASCII);
                        long t0 = System.nanoTime();
                        out.write(req);
                        out.flush();
                        String answer = readAnswer(in, buf);
                        long t1 = System.nanoTime();
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = t1 - t0;
                        if (answer.startsWith("action=DEFER")) {
                            deferred[me]++;
                        }
                    }
                } catch (Exception e) {
                    System.err.println(label + " connection " + me + ": " + e);
                    ready.countDown();
                }
                latencies[me] = Arrays.copyOf(lat, n);
                counts[me] = n;
            });
            threads[i].start();
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 0, all, at, l.length);
            at += l.length;
        }
        Arrays.sort(all);
        long deferredTotal = Arrays.stream(deferred).sum();
        System.out.printf("%-16s conns=%-3d decisions=%-7d seconds=%.1f rate=%.0f/s p50=%.2fms p99=%.2fms max=%.1fms deferred=%d%n",
                label, connections, total, elapsed, total / elapsed, pct(all, 0.50), pct(all, 0.99),
                all.length == 0 ? 0 : all[all.length - 1] / 1e6, deferredTotal);
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1e6;
    }

    /**
     * smtpd's RCPT request; a new client (a 10.x.y.z address), sender and recipient each time. Each run starts its
     * addresses at its own place in 10.0.0.0/8: under the smart client key (a /24 without a PTR name) a network
     * gets 256 new triplets a run, and runs on one greydb would otherwise pile theirs onto the same networks until
     * they reach the pending cap (1,000 by default), where new triplets are refused without a write.
     */
    private static String request(long k, String run) {
        long a = (k + ((long) (run.hashCode() & 0x7fffffff) % 64) * 262_144L) & 0xffffff;
        String client = "10." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
        return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                + "client_address=" + client + "\nclient_name=unknown\nreverse_client_name=unknown\n"
                + "helo_name=bench.example\nsender=s" + k + "@" + run + ".sender.example\n"
                + "recipient=r" + k + "@recipient.example\nrecipient_count=0\nqueue_id=\n"
                + "instance=" + run + "." + k + "\nsize=0\netrn_domain=\nstress=\nsasl_method=\nsasl_username=\n"
                + "sasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\nencryption_protocol=\n"
                + "encryption_cipher=\nencryption_keysize=0\nserver_address=127.0.0.1\nserver_port=25\n\n";
    }

    private static String readAnswer(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        while (true) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new IOException("connection closed by the service");
            }
            n += r;
            if (n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n') {
                return new String(buf, 0, n, StandardCharsets.US_ASCII);
            }
        }
    }
}
