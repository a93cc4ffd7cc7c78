package org.greylite.ucspi;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.FreePort;
import org.greylite.testing.ProgramJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs ucspi2socket as a real child process with piped stdin/stdout against a real server socket.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Ucspi2SocketTest {

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-server");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        executor.shutdownNow();
    }

    @Test
    void smtpDialoguePassesBothWaysAndServerCloseEndsTheProgram() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<String> upstream = executor.submit(() -> {
            try (Socket s = server.accept()) {
                OutputStream out = s.getOutputStream();
                out.write("220 upstream ESMTP\r\n".getBytes(US_ASCII));
                String line = readLine(s.getInputStream());
                out.write("221 2.0.0 bye\r\n".getBytes(US_ASCII));
                return line;
            }
        });
        Process child = ucspi2socket("127.0.0.1", port(server));
        InputStream fromChild = child.getInputStream();
        assertEquals("220 upstream ESMTP", readLine(fromChild));
        child.getOutputStream().write("QUIT\r\n".getBytes(US_ASCII));
        child.getOutputStream().flush();
        assertEquals("221 2.0.0 bye", readLine(fromChild));
        assertEquals(-1, fromChild.read(), "stdout ends when the server closes");
        assertEquals(0, exitCode(child));
        assertEquals("QUIT", upstream.get(5, TimeUnit.SECONDS));
    }

    @Test
    void defaultPortAndBracketedIpv6Address() throws Exception {
        ServerSocket server;
        try {
            server = listen(InetAddress.getByName("::1"));
        } catch (IOException e) {
            skipOrFailUnderCi("no IPv6 loopback here: " + e.getMessage());
            return;
        }
        executor.submit(() -> {
            try (Socket s = server.accept()) {
                s.getOutputStream().write("220 v6\r\n".getBytes(US_ASCII));
            }
            return null;
        });
        Process child = ucspi2socket("[::1]", port(server));
        assertEquals("220 v6\r\n", new String(child.getInputStream().readAllBytes(), US_ASCII));
        assertEquals(0, exitCode(child));

        // No port: 25, which nothing here listens on, and which the one line names.
        if (answers(new InetSocketAddress(InetAddress.getByName("::1"), Ucspi2Socket.DEFAULT_PORT))) {
            skipOrFailUnderCi("a server listens on [::1]:25 here, so a refused connection cannot show the port used");
        }
        Process noPort = ucspi2socket("[::1]");
        noPort.getOutputStream().close();
        assertEquals(111, exitCode(noPort));
        assertEquals("ucspi2socket: cannot connect to [::1]:25: Connection refused\n",
                new String(noPort.getErrorStream().readAllBytes(), US_ASCII));
        assertEquals(0, noPort.getInputStream().readAllBytes().length, "nothing on stdout");
    }

    @Test
    void hostNameIsResolvedAndEachAddressTried() throws Exception {
        // A name with two addresses, ::1 first, from a hosts file of the test's own (the JDK's
        // jdk.net.hosts.file), so that the order is not the machine's: many a /etc/hosts gives localhost no ::1,
        // and Java lists IPv4 addresses first unless told otherwise. The server listens on 127.0.0.1 only, so the
        // connection is made only if the address after the refused one is tried.
        Path hosts = Files.writeString(dir.resolve("hosts"), "::1 smtp.test\n127.0.0.1 smtp.test\n");
        List<String> resolver = List.of("-Djava.net.preferIPv6Addresses=true", "-Djdk.net.hosts.file=" + hosts);
        String first = firstAddress(resolver, "smtp.test");
        if (!first.equals("0:0:0:0:0:0:0:1")) {
            skipOrFailUnderCi("smtp.test resolves to " + first + " first, not ::1: no refused address is tried first");
        }
        ServerSocket server = listen(InetAddress.getByName("127.0.0.1"));
        executor.submit(() -> {
            try (Socket s = server.accept()) {
                s.getOutputStream().write("220 by name\r\n".getBytes(US_ASCII));
            }
            return null;
        });
        Process child = ucspi2socket(resolver, "smtp.test", Integer.toString(port(server)));
        assertEquals("220 by name\r\n", new String(child.getInputStream().readAllBytes(), US_ASCII));
        assertEquals(0, exitCode(child));
    }

    @Test
    void largeBinaryTransfersBothWaysAtOnce() throws Exception {
        byte[] up = randomBytes(5 * 1024 * 1024, 1);
        byte[] down = randomBytes(5 * 1024 * 1024, 2);
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<byte[]> received = executor.submit(() -> {
            try (Socket s = server.accept()) {
                // The server writes while it reads; it closes only after the client's EOF.
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        s.getOutputStream().write(down);
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, executor);
                byte[] all = s.getInputStream().readAllBytes();
                writer.get(20, TimeUnit.SECONDS);
                return all;
            }
        });
        Process child = ucspi2socket("127.0.0.1", port(server));
        Future<byte[]> fromChild = executor.submit(() -> child.getInputStream().readAllBytes());
        try (OutputStream toChild = child.getOutputStream()) {
            // Odd-sized writes so chunk boundaries never line up with anything.
            for (int off = 0; off < up.length; off += 7919) {
                toChild.write(up, off, Math.min(7919, up.length - off));
            }
        }
        assertArrayEquals(up, received.get(20, TimeUnit.SECONDS));
        assertArrayEquals(down, fromChild.get(20, TimeUnit.SECONDS));
        assertEquals(0, exitCode(child));
    }

    @Test
    void clientEofHalfClosesAndTheServerCanStillAnswer() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<String> upstream = executor.submit(() -> {
            try (Socket s = server.accept()) {
                byte[] all = s.getInputStream().readAllBytes(); // until the half-close
                Thread.sleep(200); // the answer comes well after the client's EOF
                s.getOutputStream().write("got it\r\n".getBytes(US_ASCII));
                return new String(all, US_ASCII);
            }
        });
        Process child = ucspi2socket("127.0.0.1", port(server));
        child.getOutputStream().write("DATA\r\nhello\r\n.\r\n".getBytes(US_ASCII));
        child.getOutputStream().close();
        assertEquals("DATA\r\nhello\r\n.\r\n", upstream.get(5, TimeUnit.SECONDS));
        assertEquals("got it\r\n", new String(child.getInputStream().readAllBytes(), US_ASCII));
        assertEquals(0, exitCode(child));
    }

    @Test
    void serverHalfCloseEndsTheProgramWhileStdinIsStillOpen() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<String> upstream = executor.submit(() -> {
            try (Socket s = server.accept()) {
                s.getOutputStream().write("421 going away\r\n".getBytes(US_ASCII));
                s.shutdownOutput();
                // ucspi2socket exits and its socket closes: the server sees the end of input.
                return new String(s.getInputStream().readAllBytes(), US_ASCII);
            }
        });
        Process child = ucspi2socket("127.0.0.1", port(server));
        assertEquals("421 going away\r\n", new String(child.getInputStream().readAllBytes(), US_ASCII));
        assertEquals(0, exitCode(child));
        assertEquals("", upstream.get(5, TimeUnit.SECONDS));
        child.getOutputStream().close(); // stdin was never closed by the test before this point
    }

    @Test
    void aClientThatGoesAwayIsNotBlamedOnTheServer() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        executor.submit(() -> {
            try (Socket s = server.accept()) {
                byte[] chunk = new byte[8192];
                while (true) {
                    s.getOutputStream().write(chunk); // a server that keeps sending
                }
            } catch (IOException e) {
                return null; // ucspi2socket has gone
            }
        });
        Process child = ucspi2socket("127.0.0.1", port(server));
        child.getInputStream().readNBytes(5000);
        child.getInputStream().close(); // the client leaves: the next write to it fails
        assertEquals(111, exitCode(child));
        String stderr = new String(child.getErrorStream().readAllBytes(), US_ASCII);
        assertTrue(stderr.startsWith("ucspi2socket: the client went away while 127.0.0.1:" + port(server)
                + " was still sending: "), stderr);
        child.getOutputStream().close();
    }

    /**
     * An upstream that stops answering without closing (a hung server, a network cut without a reset) and a client
     * that waits: nothing passes either way, and ucspi2socket gives the connection up after its silence limit,
     * with a line saying so. It waited for good, holding its process and a tcpserver slot.
     */
    @Test
    void aConnectionSilentBothWaysIsGivenUp() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        CompletableFuture<Socket> accepted = new CompletableFuture<>();
        executor.submit(() -> {
            Socket s = server.accept();
            closeables.add(s);
            s.getOutputStream().write("220 upstream ESMTP\r\n".getBytes(US_ASCII));
            accepted.complete(s); // then silent, and never closed
            return null;
        });
        Process child = ucspi2socket(List.of("-D" + Ucspi2Socket.SILENCE_PROPERTY + "=2"), "127.0.0.1",
                Integer.toString(port(server)));
        assertEquals("220 upstream ESMTP", readLine(child.getInputStream()));
        assertEquals(111, exitCode(child));
        String stderr = new String(child.getErrorStream().readAllBytes(), US_ASCII);
        assertEquals("ucspi2socket: gave up the connection to 127.0.0.1:" + port(server)
                + ": nothing passed either way for 2 s\n", stderr);
        assertEquals(-1, accepted.get(5, TimeUnit.SECONDS).getInputStream().read(), "the upstream connection is closed");
    }

    /** Bytes from the client alone keep the connection: the silence is of both sides, not of the upstream. */
    @Test
    void bytesFromTheClientAloneKeepTheConnection() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<byte[]> upstream = executor.submit(() -> {
            try (Socket s = server.accept()) {
                return s.getInputStream().readAllBytes(); // reads the client's bytes, answers nothing
            }
        });
        Process child = ucspi2socket(List.of("-D" + Ucspi2Socket.SILENCE_PROPERTY + "=3"), "127.0.0.1",
                Integer.toString(port(server)));
        OutputStream toChild = child.getOutputStream();
        StringBuilder sent = new StringBuilder();
        for (int i = 0; i < 16; i++) { // 8 s of a client sending every half second: past the 3 s limit
            String line = "NOOP " + i + "\r\n";
            toChild.write(line.getBytes(US_ASCII));
            toChild.flush();
            sent.append(line);
            Thread.sleep(500);
        }
        assertTrue(child.isAlive(), "ucspi2socket gave up a connection the client kept busy");
        assertEquals(111, exitCode(child)); // the client then silent as well
        assertEquals(sent.toString(), new String(upstream.get(5, TimeUnit.SECONDS), US_ASCII));
        toChild.close();
    }

    @Test
    void refusedConnectionIsATemporaryFailureWithOneLine() throws Exception {
        int port = FreePort.loopback();
        Process child = ucspi2socket("127.0.0.1", port);
        child.getOutputStream().close();
        assertEquals(111, exitCode(child));
        String stderr = new String(child.getErrorStream().readAllBytes(), US_ASCII);
        assertEquals("ucspi2socket: cannot connect to 127.0.0.1:" + port + ": Connection refused\n", stderr);
        assertEquals(0, child.getInputStream().readAllBytes().length, "nothing on stdout");
    }

    @Test
    void usageErrors() throws Exception {
        for (String[] args : new String[][] {{}, {"127.0.0.1", "25", "extra"}, {"127.0.0.1", "no-such-service"},
                {"127.0.0.1", "70000"}, {"127.0.0.1", "0"}, {"--help"}, {"-h"}, {"-v", "127.0.0.1"}}) {
            Process child = ucspi2socket(args);
            child.getOutputStream().close();
            assertEquals(100, exitCode(child), String.join(" ", args));
            String stderr = new String(child.getErrorStream().readAllBytes(), US_ASCII);
            assertTrue(stderr.startsWith("ucspi2socket: ") && stderr.contains("usage: ucspi2socket ADDR [PORT]"),
                    stderr);
            assertEquals(1, stderr.lines().count(), stderr);
        }
    }

    @Test
    void anAddressWithItsPortInOneArgumentIsAUsageErrorNamingTheRightCommand() throws Exception {
        // A run script's natural slip: the port joined to the address, as in a URL. It was taken for a host name
        // that cannot be resolved, a temporary failure (111): mail waited, the client told 421, until someone looked.
        String[][] cases = {{"127.0.0.1:2525"}, {"[2001:db8::1]:2525"}, {"mx.example.org:2525"}, {"127.0.0.1:2525", "25"}};
        String[] meant = {"127.0.0.1 2525", "[2001:db8::1] 2525", "mx.example.org 2525", "127.0.0.1 2525"};
        for (int i = 0; i < cases.length; i++) {
            Process child = ucspi2socket(cases[i]);
            child.getOutputStream().close();
            assertEquals(100, exitCode(child), String.join(" ", cases[i]));
            String stderr = new String(child.getErrorStream().readAllBytes(), US_ASCII);
            assertEquals("ucspi2socket: '" + cases[i][0] + "' joins the port to the address; give it as an argument of"
                    + " its own: ucspi2socket " + meant[i] + "\n", stderr);
        }
    }

    /**
     * PORT may name a TCP service, as tcpserver's and tcpclient's port may (the qmail run script's {@code 0 smtp}):
     * greylite(8)'s ucspi2socket took {@code smtp} too (any word, as port 25), so a run script ending in
     * {@code ucspi2socket 10.0.0.5 smtp} was refused at every connection. The names are looked up in the services
     * file ({@code /etc/services}; here one of the test's, naming the test server's port).
     */
    @Test
    void thePortMayBeAServiceName() throws Exception {
        ServerSocket server = listen(InetAddress.getLoopbackAddress());
        Future<String> upstream = executor.submit(() -> {
            try (Socket s = server.accept()) {
                s.getOutputStream().write("220 upstream ESMTP\r\n".getBytes(US_ASCII));
                return readLine(s.getInputStream());
            }
        });
        Path services = dir.resolve("services");
        Files.writeString(services, "# name port/protocol aliases\n"
                + "greylite-test-udp " + port(server) + "/udp\n"
                + "greylite-test\t" + port(server) + "/tcp\t\tgreylite-alias # the test server\n");
        Process child = ucspi2socket(List.of("-D" + Ucspi2Socket.SERVICES_PROPERTY + "=" + services),
                "127.0.0.1", "greylite-alias");
        assertEquals("220 upstream ESMTP", readLine(child.getInputStream()));
        child.getOutputStream().write("QUIT\r\n".getBytes(US_ASCII));
        child.getOutputStream().flush();
        assertEquals("QUIT", upstream.get(10, TimeUnit.SECONDS));

        assertEquals(25, Ucspi2Socket.servicePort("smtp", Ucspi2Socket.SERVICES), "the system's services file");
        assertEquals(587, Ucspi2Socket.servicePort("submission", Ucspi2Socket.SERVICES));
        assertEquals(-1, Ucspi2Socket.servicePort("greylite-test-udp", services), "a UDP service is no TCP port");
        assertEquals(-1, Ucspi2Socket.servicePort("no-such-service", services));
        assertEquals(-1, Ucspi2Socket.servicePort("smtp", dir.resolve("missing")));
    }

    @Test
    void portParsing() {
        assertEquals(25, Ucspi2Socket.parsePort("25"));
        assertEquals(65535, Ucspi2Socket.parsePort("65535"));
        assertEquals(-1, Ucspi2Socket.parsePort("65536"));
        assertEquals(-1, Ucspi2Socket.parsePort("-1"));
        assertEquals(-1, Ucspi2Socket.parsePort("+25"));
        assertEquals(-1, Ucspi2Socket.parsePort(""));
        assertEquals(-1, Ucspi2Socket.parsePort("99999999999"));
    }

    // --- helpers -------------------------------------------------------------------------------

    static Path classes() throws Exception {
        return Path.of(Ucspi2Socket.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    static List<String> javaCommand(String... args) throws Exception {
        return javaCommand(List.of(), args);
    }

    /** The command running ucspi2socket, with {@code jvmOptions} (as JAVA_OPTS gives the launcher's). */
    static List<String> javaCommand(List<String> jvmOptions, String... args) throws Exception {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classes().toString(), Ucspi2Socket.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private Process ucspi2socket(String host, int port) throws Exception {
        return ucspi2socket(host, Integer.toString(port));
    }

    private Process ucspi2socket(String... args) throws Exception {
        return ucspi2socket(List.of(), args);
    }

    private Process ucspi2socket(List<String> jvmOptions, String... args) throws Exception {
        Process process = new ProcessBuilder(javaCommand(jvmOptions, args)).start();
        processes.add(process);
        return process;
    }

    /**
     * The first address {@code name} resolves to in a JVM started with {@code jvmOptions}: the resolver's
     * settings are read once, when a JVM starts, so this JVM's cannot be changed to ask it here.
     */
    private static String firstAddress(List<String> jvmOptions, String name) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", Path.of(FirstAddress.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString(), FirstAddress.class.getName(), name));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), US_ASCII).strip();
        assertEquals(0, exitCode(p), out);
        return out;
    }

    /** Prints the first address its argument resolves to. */
    static final class FirstAddress {
        public static void main(String[] args) throws IOException {
            System.out.println(InetAddress.getAllByName(args[0])[0].getHostAddress());
        }
    }

    /** Skips the test on a developer's machine; under CI ({@code CI=true}) the machine is set up for it: fails. */
    private static void skipOrFailUnderCi(String why) {
        if (ExternalPrograms.underCi()) {
            fail(why + "; CI=true, so this is a failure, not a skip");
        }
        Assumptions.abort(why);
    }

    /** Whether a connection to {@code address} is taken (something listens there). */
    private static boolean answers(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 5_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private ServerSocket listen(InetAddress address) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(address, 0));
        closeables.add(server);
        return server;
    }

    private static int port(ServerSocket server) {
        return server.getLocalPort();
    }

    static int exitCode(Process process) throws InterruptedException {
        assertTrue(process.waitFor(15, TimeUnit.SECONDS), "the program did not exit");
        return process.exitValue();
    }

    /** One CRLF-terminated line without its terminator, read byte by byte (no read-ahead). */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            line.write(c);
        }
        String text = line.toString(US_ASCII);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
