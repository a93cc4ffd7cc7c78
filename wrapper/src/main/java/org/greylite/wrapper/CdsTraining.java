package org.greylite.wrapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * Build-time preparation of the wrapper's start-up, run once by the build through {@code bin/greylite}
 * (with {@code GREYLITE_CDS_TRAINING} set, which adds {@code -XX:ArchiveClassesAtExit}):
 * <ol>
 *   <li>extracts the SQLite native library for this platform into the folder given as argument, so that
 *       no greylite process extracts its own copy into {@code /tmp} (sqlite-jdbc's default, one file per
 *       JVM, left behind by every process that is killed);</li>
 *   <li>runs one complete greylisted session in this JVM, over a loopback socket, with a small shell
 *       SMTP server as PROGRAM: greeting, EHLO, a greylisted RCPT, RSET and the accepted retry, DATA, QUIT, the
 *       greydb created, the suspicion file read, the purge. Every class that session loads goes into the
 *       application class-data-sharing archive the JVM writes at exit, so real sessions map them instead
 *       of loading, verifying and linking them.</li>
 * </ol>
 * It never fails the build: a problem is reported on stderr, and greylite merely starts slower.
 */
public final class CdsTraining {

    /** A minimal SMTP server on stdin/stdout: just enough dialogue to walk the relay through a message. */
    private static final String SMTPD = String.join("\n",
            "CR=$(printf '\\r')",
            "printf '220 training ESMTP\\r\\n'",
            "while IFS= read -r line; do",
            "  line=${line%\"$CR\"}",
            "  case \"$line\" in",
            "    [Ee][Hh][Ll][Oo]*) printf '250-training\\r\\n250-PIPELINING\\r\\n250-STARTTLS\\r\\n250 8BITMIME\\r\\n' ;;",
            "    [Dd][Aa][Tt][Aa]) printf '354 go ahead\\r\\n'",
            "      while IFS= read -r l; do [ \"${l%\"$CR\"}\" = . ] && break; done",
            "      printf '250 queued\\r\\n' ;;",
            "    [Qq][Uu][Ii][Tt]) printf '221 bye\\r\\n'; exit 0 ;;",
            "    *) printf '250 ok\\r\\n' ;;",
            "  esac",
            "done");

    private CdsTraining() {
    }

    public static void main(String[] args) {
        PrintStream err = System.err;
        if (args.length != 1) {
            err.println("usage: CdsTraining NATIVE-LIBRARY-FOLDER");
            System.exit(Greylite.EXIT_USAGE);
        }
        Greylite.selectLogging(); // as Greylite.main does
        try {
            Path lib = extractSqliteLibrary(Path.of(args[0]));
            if (lib != null) {
                // As bin/greylite does: the training loads SQLite the way real sessions will.
                System.setProperty("org.sqlite.lib.path", lib.getParent().toString());
                System.setProperty("org.sqlite.lib.name", lib.getFileName().toString());
            }
            train(err);
        } catch (Exception e) {
            err.println("greylite start-up training: " + e + " (greylite works, but starts slower)");
        }
        System.exit(0);
    }

    /**
     * Copies this platform's SQLite library out of the sqlite-jdbc jar into {@code dir} (atomically: running
     * processes keep the copy they mapped).
     *
     * @return the library, or null when the jar has none for this platform
     */
    static Path extractSqliteLibrary(Path dir) throws IOException {
        String name = LibraryLoaderUtil.getNativeLibName();
        String resource = LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name;
        try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Path target = dir.resolve(name);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return target;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The two training sessions and the hand-over; what did not go as expected is said on {@code err}. */
    static void train(PrintStream err) throws Exception {
        Path work = Files.createTempDirectory("greylite-training");
        try {
            Path rules = work.resolve("suspicion");
            Files.writeString(rules, String.join("\n",
                    "# one line of each kind the training can evaluate",
                    "1 r ^dialup[.-]",
                    "100 v BLACKLISTED",
                    "3 e s:^nobody@ h:^localhost$",
                    "2 b greetdelay commanderrors",
                    "1 v ! NEVER_SET_IN_TRAINING",
                    ""));
            Map<String, String> env = new HashMap<>();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("GREYLIST", "");
            env.put("DBFILE", work.resolve("greylite.db").toString());
            env.put("SUSPICION", rules.toString());
            env.put("GREYLITE_MIN_DELAY", "0");
            env.put("TCPREMOTEIP", "192.0.2.1");
            env.put("TCPREMOTEHOST", "mx.training.example");
            // The name is checked against its forward records (ConfirmedName): a resolver nobody listens on
            // fails the check at once, offline too, and the check's classes still go into the archive.
            env.put("DNSCACHEIP", "127.0.0.1:1");
            env.put("TCPLOCALHOST", "training.example");
            ClientAddress.parse("2001:db8::1");

            session(env, err);
            // Again on the greydb that now exists, for another client, without a suspicion file.
            env.remove("SUSPICION");
            env.put("TCPREMOTEIP", "198.51.100.1");
            session(env, err);
            // The hand-over mode (GREYLIST unset) starts PROGRAM on inherited descriptors.
            new ProcessBuilder("true").inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One session over a loopback connection; complains on stderr when it did not go as expected. */
    private static void session(Map<String, String> env, PrintStream err) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            client.setSoTimeout(20_000);
            WrapperSession session = new WrapperSession(List.of("sh", "-c", SMTPD), Map.copyOf(env),
                    server.getInputStream(), server.getOutputStream(), err, Clock.systemUTC());
            CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
                try {
                    return session.run();
                } catch (InterruptedException e) {
                    return -1;
                }
            });
            String transcript = converse(client.getInputStream(), client.getOutputStream());
            int exit = status.get(20, TimeUnit.SECONDS);
            if (exit != 0 || !transcript.equals("220 451 250 354 250 221")) {
                err.println("greylite start-up training: unexpected session (replies " + transcript
                        + ", status " + exit + "); the archive may miss classes");
            }
        }
    }

    /** The client's side; returns the reply codes, space-separated. */
    private static String converse(InputStream in, OutputStream out) throws IOException {
        StringBuilder codes = new StringBuilder();
        codes.append(reply(in));
        send(out, "EHLO mail.training.example\r\n");
        reply(in);
        send(out, "MAIL FROM:<sender@training.example>\r\n");
        reply(in);
        send(out, "RCPT TO:<rcpt@training.example>\r\n");
        codes.append(' ').append(reply(in));
        // The retry in a transaction of its own: a recipient named again in the same one keeps its verdict.
        send(out, "RSET\r\n");
        reply(in);
        send(out, "MAIL FROM:<sender@training.example>\r\n");
        reply(in);
        send(out, "RCPT TO:<rcpt@training.example>\r\n");
        codes.append(' ').append(reply(in));
        send(out, "DATA\r\n");
        codes.append(' ').append(reply(in));
        send(out, "Subject: training\r\n\r\nhello\r\n.\r\n");
        codes.append(' ').append(reply(in));
        send(out, "QUIT\r\n");
        codes.append(' ').append(reply(in));
        return codes.toString();
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one (possibly multi-line) reply; returns its code. */
    private static String reply(InputStream in) throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.append((char) c);
            }
            if (c < 0) {
                return "EOF";
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line.length() >= 3 ? line.substring(0, 3) : line.toString();
            }
        }
    }
}
