package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.daemon.tls.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS options on greylited's real command line: what it offers, what it logs, how bad files stop it. */
class GreylitedTlsProcessTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    ScriptedUpstream upstream;
    TestCertificates.Pem pem;
    final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        upstream = new ScriptedUpstream();
        pem = TestCertificates.rsa(dir, "proxy");
    }

    @AfterEach
    void cleanUp() throws IOException {
        started.forEach(Process::destroyForcibly);
        upstream.close();
    }

    private Process launch(String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.address().getPort(),
                "--db", dir.resolve("greylite.db").toString(), "--hostname", "proxy.test",
                "--ptr-timeout", "0")); // no PTR lookups: loopback only
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /** Starts greylited; returns its port once it listens, its log lines going to {@code log}. */
    private int start(BlockingQueue<String> log, String... extra) throws Exception {
        Process p = launch(extra);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                }
            } catch (IOException e) {
                // process gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                seen.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    log.addAll(seen);
                    return Integer.parseInt(m.group(1));
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("greylited exited at start: " + seen);
            }
        }
        throw new AssertionError("greylited did not start: " + seen);
    }

    /** Runs greylited to its exit at start-up; returns its output, after checking the exit status. */
    private String failedStart(int status, String... extra) throws Exception {
        Process p = launch(extra);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(status, p.exitValue(), out);
        return out;
    }

    private static String await(BlockingQueue<String> log, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String line = log.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.contains(fragment)) {
                return line;
            }
        }
        throw new AssertionError("no log line with '" + fragment + "'");
    }

    @Test
    void aCertificateOnTheCommandLineOffersStartTls() throws Exception {
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        int port = start(log, "--tls-cert", pem.cert().toString(), "--tls-key", pem.key().toString());
        try (RawClient c = new RawClient(new InetSocketAddress("127.0.0.1", port))) {
            c.expect(220);
            assertTrue(c.command("EHLO client.example", 250).endsWith("250 STARTTLS"));
            c.command("STARTTLS", 220);
            c.startTls(pem.trustingContext());
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 451);
            c.command("QUIT", 221);
        }
        String session = await(log, "session end ");
        assertTrue(session.contains(" tls=yes "), session);
    }

    @Test
    void theLogSaysWhyAnUpstreamWithoutStartTlsFailsTheSession() throws Exception {
        upstream.extensions = "PIPELINING\r\n250 8BITMIME";
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        int port = start(log, "--upstream-tls", "starttls");
        await(log, "upstream connections start TLS with STARTTLS; the upstream's certificate is not checked");
        try (RawClient c = new RawClient(new InetSocketAddress("127.0.0.1", port))) {
            c.expect(421);
        }
        String why = await(log, "does not offer STARTTLS");
        assertTrue(why.contains("WARN") && why.contains("127.0.0.1:" + upstream.address().getPort()), why);
    }

    @Test
    void tlsFilesThatCannotServeStopTheStartNamingTheFileAndTheProblem() throws Exception {
        Path missing = dir.resolve("missing-key.pem");
        String out = failedStart(GreylitedCommand.CANNOT_START, "--tls-cert", pem.cert().toString(), "--tls-key", missing.toString());
        assertTrue(out.contains("greylited: --tls-key: " + missing + " does not exist"), out);

        out = failedStart(GreylitedCommand.CANNOT_START, "--tls-cert", pem.cert().toString());
        assertTrue(out.contains("--tls-cert and --tls-key go together"), out);

        out = failedStart(GreylitedCommand.CANNOT_START, "--tls-cert", pem.key().toString(), "--tls-key", pem.key().toString());
        assertTrue(out.contains("--tls-cert: " + pem.key() + " holds no certificate"), out);

        out = failedStart(GreylitedCommand.CANNOT_START, "--upstream-tls", "always");
        assertTrue(out.contains("--upstream-tls wants off or starttls, not 'always'"), out);

        out = failedStart(GreylitedCommand.CANNOT_START, "--upstream-tls-ca", pem.cert().toString());
        assertTrue(out.contains("--upstream-tls-ca is only used with --upstream-tls starttls"), out);
    }
}
