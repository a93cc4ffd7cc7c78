import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

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
 * <p>With {@code sqlite:PATH} instead of microseconds, the work is the least a durable greydb decision can do: the
 * request's triplet (client_address, sender, recipient) inserted into a table keyed as the greydb's
 * {@code triplet} table, in a WAL-mode SQLite file with {@code synchronous=NORMAL} (as the greydb is opened),
 * each in a transaction of its own ({@code BEGIN IMMEDIATE} ... {@code COMMIT}, statements kept prepared) committed
 * before the answer. No engine, no log, no reading: the floor of a committed SQLite write per request.
 *
 * <pre>java -cp SQLITE-JDBC-JAR:. FloorServer PORT WORK-MICROSECONDS|sqlite:PATH</pre>
 */
public final class FloorServer {

    private static final byte[] ANSWER = "action=DUNNO\n\n".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException, SQLException {
        int port = Integer.parseInt(args[0]);
        Inserts inserts = args[1].startsWith("sqlite:") ? new Inserts(args[1].substring("sqlite:".length())) : null;
        long workNanos = inserts != null ? 0 : Long.parseLong(args[1]) * 1000;
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", port));
        while (true) {
            SocketChannel client = listener.accept();
            client.socket().setTcpNoDelay(true);
            client.configureBlocking(false);
            Thread t = new Thread(() -> serve(client, workNanos, inserts), "floor-" + port);
            t.setDaemon(true);
            t.start();
        }
    }

    /** One committed insert per request, on one SQLite connection (shared by the connections' threads, in turn). */
    private static final class Inserts {
        private final Connection db;
        private final PreparedStatement begin;
        private final PreparedStatement insert;
        private final PreparedStatement commit;

        Inserts(String path) throws SQLException {
            db = DriverManager.getConnection("jdbc:sqlite:" + path);
            try (Statement st = db.createStatement()) {
                st.execute("PRAGMA journal_mode = WAL");
                st.execute("PRAGMA synchronous = NORMAL");
                st.execute("CREATE TABLE IF NOT EXISTS triplet (client TEXT NOT NULL, sender TEXT NOT NULL,"
                        + " recipient TEXT NOT NULL, refusals INTEGER NOT NULL, first_seen INTEGER NOT NULL,"
                        + " last_seen INTEGER NOT NULL, passed_at INTEGER, PRIMARY KEY (client, sender, recipient))"
                        + " WITHOUT ROWID");
            }
            begin = db.prepareStatement("BEGIN IMMEDIATE");
            insert = db.prepareStatement("INSERT OR IGNORE INTO triplet VALUES (?, ?, ?, 1, ?, ?, NULL)");
            commit = db.prepareStatement("COMMIT");
        }

        synchronized void insert(String request) throws SQLException {
            long now = System.currentTimeMillis() / 1000;
            begin.execute();
            insert.setString(1, field(request, "client_address"));
            insert.setString(2, field(request, "sender"));
            insert.setString(3, field(request, "recipient"));
            insert.setLong(4, now);
            insert.setLong(5, now);
            insert.executeUpdate();
            commit.execute();
        }

        private static String field(String request, String name) {
            int at = request.startsWith(name + "=") ? 0 : request.indexOf("\n" + name + "=");
            if (at < 0) {
                return "";
            }
            int from = request.indexOf('=', at) + 1;
            int to = request.indexOf('\n', from);
            return request.substring(from, to < 0 ? request.length() : to);
        }
    }

    private static void serve(SocketChannel client, long workNanos, Inserts inserts) {
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
                int start = 0;
                for (int i = 0; i < in.position(); i++) {
                    byte b = in.get(i);
                    if (b == '\n' && previous == '\n') {
                        requests++;
                        if (inserts != null) {
                            inserts.insert(text(in, start, i));
                        }
                        start = i + 1;
                    }
                    previous = b;
                }
                in.clear(); // a request split over two reads is not inserted: PolicyLoad's fit in one
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
        } catch (SQLException e) {
            System.err.println("FloorServer: " + e.getMessage());
        }
    }

    private static String text(ByteBuffer in, int from, int to) {
        byte[] bytes = new byte[to - from];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = in.get(from + i);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
