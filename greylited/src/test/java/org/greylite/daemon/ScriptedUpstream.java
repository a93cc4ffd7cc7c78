package org.greylite.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An upstream SMTP server that records exactly what reaches it: every command line and every message's
 * raw DATA bytes (dot-stuffing and terminator included). The real-server tests use GreenMail; this one
 * is for the byte-exact and failure-injection checks (stall in DATA, die mid-session).
 *
 * <p>One for each test of a class: {@code @RegisterExtension final ScriptedUpstream upstream = ScriptedUpstream.perTest();}
 * listens before the class's {@code @BeforeEach} methods and closes after its {@code @AfterEach} methods, so that
 * what they start in front of it is stopped first. One inside a test: {@code try (ScriptedUpstream up = new ScriptedUpstream())}.
 */
final class ScriptedUpstream implements AutoCloseable, BeforeEachCallback, AfterEachCallback {

    final List<String> commands = new CopyOnWriteArrayList<>();
    final List<byte[]> messages = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger abandonedMessages = new AtomicInteger();
    /** Command lines that ended in a bare LF: a strict server would have merged them with the next. */
    final AtomicInteger bareLfCommands = new AtomicInteger();

    volatile String extensions = "PIPELINING\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-CHUNKING\r\n"
            + "250-AUTH PLAIN\r\n250-XCLIENT NAME ADDR HELO\r\n250 ENHANCEDSTATUSCODES";
    volatile String greeting = "220 upstream.test ESMTP scripted";
    volatile boolean stallInData;
    /** Wait this long after the connection before greeting (a server at its process limit, or slow to start). */
    volatile long greetingDelayMillis;
    /** After 354, wait this long before reading the message (a slow reader), then read it all. */
    volatile long readDelayInDataMillis;
    /** Read a PROXY protocol header (v1 line or v2 binary) before the greeting, as Postfix does when configured. */
    volatile boolean expectProxyHeader;
    final List<byte[]> proxyHeaders = new CopyOnWriteArrayList<>();
    volatile int dieAfterCommands = Integer.MAX_VALUE;
    /** Refuse every RSET, as no server should (RFC 5321 4.1.1.5). */
    volatile boolean refuseRset;
    /** Refuse a MAIL that follows an RSET, as a server limiting its senders' rate may. */
    volatile boolean refuseMailAfterRset;

    private volatile ServerSocket server; // null until it listens

    /** An upstream listening at once, on a free loopback port. */
    ScriptedUpstream() throws IOException {
        listen();
    }

    /** Not listening yet: see {@link #perTest}. */
    private ScriptedUpstream(Void notYet) {
    }

    /** An upstream that listens before each test and is closed after it, registered as an extension. */
    static ScriptedUpstream perTest() {
        return new ScriptedUpstream((Void) null);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (server != null) {
            throw new IllegalStateException("already listening: register ScriptedUpstream.perTest() as the extension");
        }
        listen();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }

    private void listen() throws IOException {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server = listening;
        Thread acceptor = new Thread(() -> acceptLoop(listening), "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        if (server == null) {
            throw new IllegalStateException("not listening yet: opened by its constructor, or before each test as an extension");
        }
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    boolean sawCommandStartingWith(String prefix) {
        return commands.stream().anyMatch(c -> c.toUpperCase().startsWith(prefix.toUpperCase()));
    }

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "scripted-upstream-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = new java.io.BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
            if (expectProxyHeader) {
                proxyHeaders.add(readProxyHeader(in));
            }
            Thread.sleep(greetingDelayMillis);
            write(out, greeting);
            int count = 0;
            boolean perRecipientReplies = false; // the transaction's MAIL asked for PRDR
            int recipients = 0;
            boolean reset = false;
            String line;
            while ((line = readRawLine(in)) != null) {
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                } else {
                    bareLfCommands.incrementAndGet();
                }
                commands.add(line);
                if (++count > dieAfterCommands) {
                    return; // closes the socket without a word
                }
                String verb = line.split(" ", 2)[0].toUpperCase();
                boolean noArgument = line.substring(verb.length()).isBlank();
                switch (verb) {
                    case "EHLO":
                        // A greeting without a name is refused, as Postfix refuses it.
                        write(out, noArgument ? "501 Syntax: EHLO hostname"
                                : "250-upstream.test\r\n250-" + extensions);
                        break;
                    case "XCLIENT":
                        write(out, greeting); // Postfix greets the introduced client anew
                        break;
                    case "HELO":
                        if (noArgument) {
                            write(out, "501 Syntax: HELO hostname");
                            break;
                        }
                        write(out, "250 2.0.0 ok");
                        break;
                    case "MAIL":
                        // As Exim with prdr_enable: a reply per recipient at the end of the message, before the final one.
                        perRecipientReplies = line.toUpperCase().contains(" PRDR");
                        recipients = 0;
                        write(out, reset && refuseMailAfterRset ? "451 4.7.1 sending too fast" : "250 2.0.0 ok");
                        break;
                    case "RSET":
                        reset = true;
                        write(out, refuseRset ? "502 5.5.1 not now" : "250 2.0.0 ok");
                        break;
                    case "NOOP":
                        write(out, "250 2.0.0 ok");
                        break;
                    case "RCPT":
                        boolean reject = line.toLowerCase().contains("<reject");
                        recipients += reject ? 0 : 1;
                        write(out, reject ? "550 5.1.1 no such user" : "250 2.1.5 ok");
                        break;
                    case "DATA":
                        write(out, "354 go ahead");
                        if (stallInData) {
                            Thread.sleep(60_000);
                            return;
                        }
                        Thread.sleep(readDelayInDataMillis);
                        byte[] msg = readMessage(in);
                        if (msg == null) {
                            abandonedMessages.incrementAndGet();
                            return;
                        }
                        messages.add(msg);
                        if (perRecipientReplies) {
                            write(out, "353 PRDR content analyzed");
                            for (int i = 0; i < recipients; i++) {
                                write(out, "250 2.0.0 recipient accepted");
                            }
                        }
                        write(out, "250 2.0.0 queued as " + messages.size());
                        break;
                    case "BDAT":
                        String[] p = line.split(" ");
                        byte[] chunk = in.readNBytes(Integer.parseInt(p[1]));
                        messages.add(chunk);
                        write(out, "250 2.0.0 " + chunk.length + " octets received");
                        break;
                    case "AUTH":
                        String[] a = line.split(" ");
                        String response = a.length > 2 ? a[2] : null;
                        if (response == null) {
                            write(out, "334 ");
                            response = readLine(in);
                        }
                        if (response.trim().equals("*")) {
                            write(out, "501 5.7.0 Authentication aborted"); // RFC 4954 4, in Postfix's words
                            break;
                        }
                        String decoded = new String(Base64.getDecoder().decode(response.trim()), StandardCharsets.UTF_8);
                        write(out, decoded.equals("\0user\0secret") ? "235 2.7.0 authenticated" : "535 5.7.8 bad credentials");
                        break;
                    case "QUIT":
                        write(out, "221 2.0.0 bye");
                        return;
                    default:
                        write(out, "500 5.5.1 unrecognised command");
                }
            }
        } catch (IOException | InterruptedException e) {
            // the proxy closed the connection: what was received is recorded
        }
    }

    /** A PROXY header exactly as received: a v1 line through its LF, or v2's 16 bytes and its addresses. */
    private static byte[] readProxyHeader(InputStream in) throws IOException {
        byte[] start = in.readNBytes(12);
        if (start[0] == 'P') {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(start);
            int c;
            while ((c = in.read()) != -1) {
                b.write(c);
                if (c == '\n') {
                    break;
                }
            }
            return b.toByteArray();
        }
        byte[] fixed = in.readNBytes(4);
        int len = ((fixed[2] & 0xff) << 8) | (fixed[3] & 0xff);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(start);
        b.writeBytes(fixed);
        b.writeBytes(in.readNBytes(len));
        return b.toByteArray();
    }

    /** Reads DATA text through CRLF.CRLF, returning it exactly as received; null if the connection ends first. */
    private static byte[] readMessage(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        long last5 = 0; // the last five bytes, one per byte of the long: linear in the message size
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            last5 = ((last5 << 8) | c) & 0xFF_FFFF_FFFFL;
            int n = b.size();
            boolean onlyDot = n == 3 && (last5 & 0xFF_FFFF) == 0x2E_0D0A;
            if (onlyDot || (n >= 5 && last5 == 0x0D_0A2E_0D0AL)) {
                return b.toByteArray();
            }
        }
        return null;
    }

    /** A line through its LF, returned without the LF but with a CR before it, if any. */
    private static String readRawLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return null;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return null;
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }
}
