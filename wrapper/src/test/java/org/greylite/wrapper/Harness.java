package org.greylite.wrapper;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.SmtpLines;

/**
 * A {@link WrapperSession} in this JVM, its client end on a loopback connection (as tcpserver would hand
 * it over, minus the process), PROGRAM a real child process.
 */
final class Harness implements AutoCloseable {

    /** A UCSPI SMTP server in sh: answers everything, 354 for DATA and 250 after the final dot. */
    static final String SMTPD = String.join("\n",
            "CR=$(printf '\\r')",
            "[ -n \"${STARTED:-}\" ] && : > \"$STARTED\"",
            "printf '220 upstream ESMTP\\r\\n'",
            "while IFS= read -r line; do",
            "  line=${line%\"$CR\"}",
            "  case \"$line\" in",
            "    [Ee][Hh][Ll][Oo]*) printf '250-upstream\\r\\n250-PIPELINING\\r\\n250 8BITMIME\\r\\n' ;;",
            "    [Dd][Aa][Tt][Aa]) printf '354 go ahead\\r\\n'",
            "      while IFS= read -r l; do",
            "        [ \"${l%\"$CR\"}\" = . ] && break",
            "        [ -n \"${MESSAGE:-}\" ] && printf '%s\\n' \"$l\" >> \"$MESSAGE\"",
            "      done",
            "      printf '250 queued\\r\\n' ;;",
            "    [Qq][Uu][Ii][Tt]) printf '221 bye\\r\\n'; exit \"${EXIT_STATUS:-0}\" ;;",
            "    *) printf '250 ok\\r\\n' ;;",
            "  esac",
            "done");

    final Socket client;
    final InputStream in;
    final OutputStream out;
    final CompletableFuture<Integer> status;
    private final ByteArrayOutputStream errors;

    private Harness(Socket client, CompletableFuture<Integer> status, ByteArrayOutputStream errors) throws IOException {
        this.client = client;
        this.in = client.getInputStream();
        this.out = client.getOutputStream();
        this.status = status;
        this.errors = errors;
        client.setSoTimeout(20_000);
    }

    /**
     * A session's environment as tcpserver gives it, with GREYLIST set and the greydb at {@code greydb}: client
     * 192.0.2.7, then {@code pairs} (NAME, VALUE, ...), which may replace any of these.
     */
    static Map<String, String> env(Path greydb, String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("GREYLIST", "");
        env.put("TCPREMOTEIP", "192.0.2.7");
        env.put("DBFILE", greydb.toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return Map.copyOf(env);
    }

    /** {@code first}, then {@code then}: a test's own variables before those a call adds. */
    static String[] pairs(String[] first, String... then) {
        String[] all = java.util.Arrays.copyOf(first, first.length + then.length);
        System.arraycopy(then, 0, all, first.length, then.length);
        return all;
    }

    static Harness start(List<String> program, Map<String, String> env) throws IOException {
        return start(program, env, 0);
    }

    /**
     * As {@link #start(List, Map)}, with the send and receive buffers of both ends of the connection fixed at
     * {@code socketBuffer} bytes (0: the kernel's, which grow as they are used): what the connection can hold
     * is then known, and a test can tell it from what the session holds.
     */
    static Harness start(List<String> program, Map<String, String> env, int socketBuffer) throws IOException {
        return start(program, env, socketBuffer, Clock.systemUTC());
    }

    /** As {@link #start(List, Map, int)}, the session's decisions timed by {@code clock}. */
    static Harness start(List<String> program, Map<String, String> env, int socketBuffer, Clock clock)
            throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket client = new Socket();
            if (socketBuffer > 0) {
                listener.setReceiveBufferSize(socketBuffer); // taken over by the accepted connection
                client.setSendBufferSize(socketBuffer);
                client.setReceiveBufferSize(socketBuffer);
            }
            client.connect(listener.getLocalSocketAddress());
            Socket server = listener.accept();
            if (socketBuffer > 0) {
                server.setSendBufferSize(socketBuffer);
            }
            ByteArrayOutputStream errors = new ByteArrayOutputStream();
            PrintStream err = new PrintStream(errors, true, US_ASCII);
            WrapperSession session = new WrapperSession(program, env, server.getInputStream(),
                    server.getOutputStream(), err, clock);
            CompletableFuture<Integer> status = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    status.complete(session.run());
                } catch (Throwable e) {
                    status.completeExceptionally(e);
                } finally {
                    try {
                        server.close();
                    } catch (IOException ignored) {
                        // the test is over
                    }
                }
            }, "wrapper-session");
            t.setDaemon(true);
            t.start();
            return new Harness(client, status, errors);
        }
    }

    /** What the session wrote to its stderr stream (configuration errors; logging goes through SLF4J). */
    String errors() {
        return errors.toString(US_ASCII);
    }

    static List<String> smtpd() {
        return List.of("sh", "-c", SMTPD);
    }

    /** One reply, all its lines; returns the last line, or "EOF". */
    String reply() throws IOException {
        return SmtpLines.reply(in);
    }

    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    void send(String raw) throws IOException {
        send(raw.getBytes(US_ASCII));
    }

    /** Sends bytes as they are: 8-bit text a client may send, valid UTF-8 or not. */
    void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    boolean closedByServer() throws IOException {
        return in.read() < 0;
    }

    int exitStatus() throws Exception {
        return status.get(30, TimeUnit.SECONDS);
    }

    String line() throws IOException {
        return SmtpLines.line(in);
    }

    /** Hangs up, then waits for the session to end: it must not outlive the test (nor its temporary folder). */
    @Override
    public void close() throws IOException {
        client.close();
        try {
            status.get(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the tests that care check the status themselves
        }
    }
}
