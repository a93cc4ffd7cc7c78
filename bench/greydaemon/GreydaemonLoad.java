import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for a greydaemon-protocol service: CLIENTS threads, each as one qmail-smtpd (a connected UDP socket,
 * one request sent, its answer awaited, then the next), every request a new triplet (a new sender, so every
 * decision writes). Runs WARMUP seconds untimed, then SECONDS timed; prints one line:
 * {@code clients=4 decisions=123456 per_second=12345 p50_us=.. p99_us=.. timeouts=0 greylisted=123456}.
 *
 * Run as a single-file program: {@code java GreydaemonLoad.java HOST PORT CLIENTS SECONDS WARMUP RUN_ID}.
 * RUN_ID keeps the senders of separate runs apart (new triplets in every run).
 */
public class GreydaemonLoad {

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int clients = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        long warmup = Long.parseLong(args[4]);
        int run = Integer.parseInt(args[5]);
        AtomicLong next = new AtomicLong();
        long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
        long end = warmEnd + seconds * 1_000_000_000L;
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Worker w = new Worker(target, run, next, warmEnd, end);
            workers.add(w);
            w.start();
        }
        long total = 0;
        long timeouts = 0;
        long refused = 0;
        long[] all = new long[0];
        for (Worker w : workers) {
            w.join();
            if (w.failure != null) {
                throw w.failure;
            }
            total += w.count;
            timeouts += w.timeouts;
            refused += w.refused;
            long[] l = Arrays.copyOf(w.latencies, w.count);
            long[] merged = Arrays.copyOf(all, all.length + l.length);
            System.arraycopy(l, 0, merged, all.length, l.length);
            all = merged;
        }
        Arrays.sort(all);
        System.out.printf("clients=%d decisions=%d per_second=%d p50_us=%d p99_us=%d timeouts=%d greylisted=%d%n",
                clients, total, total / seconds, pct(all, 0.50) / 1000, pct(all, 0.99) / 1000, timeouts, refused);
    }

    private static long pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    static final class Worker extends Thread {
        final InetSocketAddress target;
        final int run;
        final AtomicLong next;
        final long warmEnd;
        final long end;
        long[] latencies = new long[1 << 16];
        int count;
        long timeouts;
        long refused;
        Exception failure;

        Worker(InetSocketAddress target, int run, AtomicLong next, long warmEnd, long end) {
            this.target = target;
            this.run = run;
            this.next = next;
            this.warmEnd = warmEnd;
            this.end = end;
        }

        @Override
        public void run() {
            try (DatagramSocket s = new DatagramSocket()) {
                s.connect(target);
                s.setSoTimeout(2000);
                byte[] answer = new byte[2];
                DatagramPacket in = new DatagramPacket(answer, 2);
                while (true) {
                    long n = next.getAndIncrement();
                    // A new triplet each time: the sender carries the run and the request number.
                    String ip = "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
                    byte[] req = ("I" + ip + "\0Fs" + run + "-" + n + "@example.net\0Trcpt" + (n % 1000) + "@example.org\0")
                            .getBytes(StandardCharsets.US_ASCII);
                    long t0 = System.nanoTime();
                    if (t0 >= end) {
                        return;
                    }
                    s.send(new DatagramPacket(req, req.length));
                    try {
                        s.receive(in);
                    } catch (SocketTimeoutException e) {
                        if (t0 >= warmEnd) {
                            timeouts++;
                        }
                        continue;
                    }
                    long t1 = System.nanoTime();
                    if (t0 >= warmEnd) {
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = t1 - t0;
                        if (answer[0] == 0) {
                            refused++;
                        }
                    }
                }
            } catch (Exception e) {
                failure = e;
            }
        }
    }
}
