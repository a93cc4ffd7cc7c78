import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

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
 * <p>With {@code journal:PATH}, the floor of the other design, the one SPEC §3 does not take: the triplet looked up
 * and put in a map in memory, and one line appended to a file of its own with one {@code write} (no {@code fsync}:
 * what WAL with {@code synchronous=NORMAL} gives, a decision that survives the process's crash) before the answer;
 * a greydb would be brought up to date from that file after the answers. It shows what state in memory and a
 * journal would reach on this machine.
 *
 * <pre>java -cp SQLITE-JDBC-JAR:. FloorServer PORT WORK-MICROSECONDS|sqlite:PATH|journal:PATH</pre>
 */
public final class FloorServer {

    private static final byte[] ANSWER = "action=DUNNO\n\n".getBytes(StandardCharsets.US_ASCII);

    /** What each request does before its answer: one committed SQLite insert, or one journal line. */
    private interface Write {
        void write(String request) throws IOException, SQLException;
    }

    public static void main(String[] args) throws IOException, SQLException {
        int port = Integer.parseInt(args[0]);
        Write inserts = args[1].startsWith("sqlite:") ? new Inserts(args[1].substring("sqlite:".length()))
                : args[1].startsWith("journal:") ? new Journal(Path.of(args[1].substring("journal:".length())))
                : null;
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
    private static final class Inserts implements Write {
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

        @Override
        public synchronized void write(String request) throws SQLException {
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
    }

    /** The triplet in a map in memory, and a line appended to a journal with one write, per request. */
    private static final class Journal implements Write {
        private final FileChannel file;
        private final Map<String, long[]> triplets = new HashMap<>();
        private final ByteBuffer line = ByteBuffer.allocateDirect(4096);

        Journal(Path path) throws IOException {
            file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }

        @Override
        public synchronized void write(String request) throws IOException {
            long now = System.currentTimeMillis() / 1000;
            String key = field(request, "client_address") + '\t' + field(request, "sender") + '\t'
                    + field(request, "recipient");
            triplets.putIfAbsent(key, new long[] {1, now, now}); // refusals, first and last seen, as a new row's
            line.clear();
            line.put((key + '\t' + now + '\n').getBytes(StandardCharsets.UTF_8)).flip();
            while (line.hasRemaining()) {
                file.write(line);
            }
        }
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

    private static void serve(SocketChannel client, long workNanos, Write inserts) {
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
                            inserts.write(text(in, start, i));
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
