import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SMTP load from clients the proxy has never seen: every session comes from a loopback address of its own
 * (127.64.0.0/10 on Linux's {@code lo}, which answers for all of 127.0.0.0/8), so every session starts with a
 * cold PTR cache and a real DNS lookup, as the first connection of each new client does on a mail host.
 * smtp-source cannot choose its source address; this client can, and does nothing else smtp-source does not
 * (one message per session, no pipelining, SESSIONS sessions in parallel).
 *
 * <pre>java ColdClients.java HOST:PORT MESSAGES SESSIONS FIRST-ADDRESS-INDEX [DURATIONS-FILE]</pre>
 *
 * <p>FIRST-ADDRESS-INDEX is where this run starts in the block, so that runs one after the other never reuse an
 * address (index i is the i-th address of 127.64.0.0/10 whose last octet is neither 0 nor 255). Prints
 * {@code messages failures elapsed_ns} on one line; DURATIONS-FILE gets each session's milliseconds, from the
 * connect to the reply to QUIT. Exit 0 when every message was accepted (250 after the final dot).
 */
public final class ColdClients {

    private static final byte[] MESSAGE = ("From: <sender@example.org>\r\nTo: <rcpt@example.com>\r\n"
            + "Subject: cold client\r\n\r\nOne message from a client never seen before.\r\n.\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java ColdClients.java HOST:PORT MESSAGES SESSIONS FIRST-ADDRESS-INDEX [DURATIONS-FILE]");
            System.exit(2);
        }
        int colon = args[0].lastIndexOf(':');
        InetSocketAddress server = new InetSocketAddress(args[0].substring(0, colon),
                Integer.parseInt(args[0].substring(colon + 1)));
        int messages = Integer.parseInt(args[1]);
        int sessions = Integer.parseInt(args[2]);
        int firstIndex = Integer.parseInt(args[3]);
        long[] millis = new long[messages];
        Arrays.fill(millis, -1);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int s = 0; s < sessions; s++) {
            Thread t = new Thread(() -> {
                int i;
                while ((i = next.getAndIncrement()) < messages) {
                    long start = System.nanoTime();
                    try {
                        session(server, source(firstIndex + i));
                        millis[i] = (System.nanoTime() - start) / 1_000_000;
                    } catch (IOException | RuntimeException e) {
                        if (failures.incrementAndGet() <= 5) {
                            System.err.println("session " + i + " from " + source(firstIndex + i) + ": " + e);
                        }
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long elapsed = System.nanoTime() - t0;
        if (args.length > 4) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(args[4])))) {
                for (long m : millis) {
                    if (m >= 0) {
                        w.println(m);
                    }
                }
            }
        }
        System.out.println((messages - failures.get()) + " " + failures.get() + " " + elapsed);
        System.exit(failures.get() == 0 ? 0 : 1);
    }

    /** The index-th address of 127.64.0.0/10 whose last octet is neither 0 nor 255. */
    static InetAddress source(int index) {
        int host = (index / 254) * 256 + index % 254 + 1;
        if (host >= (1 << 22)) {
            throw new IllegalArgumentException("address index " + index + " is past the end of 127.64.0.0/10");
        }
        int a = 0x7f400000 + host;
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void session(InetSocketAddress server, InetAddress from) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(server, 10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            expect(in, '2', "greeting");
            command(out, in, "EHLO cold.example.org", "EHLO");
            command(out, in, "MAIL FROM:<sender@example.org>", "MAIL");
            command(out, in, "RCPT TO:<rcpt@example.com>", "RCPT");
            command(out, in, "DATA", "DATA");
            out.write(MESSAGE);
            out.flush();
            expect(in, '2', "end of data");
            command(out, in, "QUIT", "QUIT");
        }
    }

    private static void command(OutputStream out, InputStream in, String line, String what) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, what.equals("DATA") ? '3' : '2', what);
    }

    /** Reads one reply, multi-line ones whole; fails unless its code starts with {@code first}. */
    private static void expect(InputStream in, char first, String what) throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed waiting for the reply to " + what);
                }
                line.append((char) c);
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                if (line.length() < 3 || line.charAt(0) != first) {
                    throw new IOException("reply to " + what + ": " + line.toString().strip());
                }
                return;
            }
        }
    }
}
