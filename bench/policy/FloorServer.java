import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The floor of the one-connection policy benchmark: a Postfix policy server that does no work at all but a set
 * number of microseconds of busy CPU per request, then answers {@code action=DUNNO}. Each connection gets a thread
 * that never sleeps (it polls its socket without blocking), the quickest a server can notice a request.
 *
 * <p>Why it exists: at one connection the rate is a round trip, and on a virtual machine whose idle CPUs halt, the
 * client's wake-up costs more the longer the server takes. Run beside the real services, it shows how much of
 * the round trip no server can win back, and what a given amount of work per request costs at best on this
 * machine.
 *
 * <pre>java FloorServer.java PORT WORK-MICROSECONDS</pre>
 */
public final class FloorServer {

    private static final byte[] ANSWER = "action=DUNNO\n\n".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        long workNanos = Long.parseLong(args[1]) * 1000;
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", port));
        while (true) {
            SocketChannel client = listener.accept();
            client.socket().setTcpNoDelay(true);
            client.configureBlocking(false);
            Thread t = new Thread(() -> serve(client, workNanos), "floor-" + port);
            t.setDaemon(true);
            t.start();
        }
    }

    private static void serve(SocketChannel client, long workNanos) {
        ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer out = ByteBuffer.allocateDirect(ANSWER.length * 64);
        byte previous = 0;
        try (client) {
            while (true) {
                int n = client.read(in);
                if (n < 0) {
                    return;
                }
                if (n == 0) {
                    Thread.onSpinWait();
                    continue;
                }
                int requests = 0; // a request ends with an empty line
                for (int i = 0; i < in.position(); i++) {
                    byte b = in.get(i);
                    if (b == '\n' && previous == '\n') {
                        requests++;
                    }
                    previous = b;
                }
                in.clear();
                for (int r = 0; r < requests; r++) {
                    long until = System.nanoTime() + workNanos;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    out.clear();
                    out.put(ANSWER).flip();
                    while (out.hasRemaining()) {
                        client.write(out);
                    }
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
