package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.MiniJson;
import org.greylite.testing.ProgramJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited as a service unit runs it: every setting from a configuration file, JSON logs, metrics.
 * Every line it writes must parse as JSON; the decision and session lines keep their greppable text.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GreylitedServiceTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern METRICS = Pattern.compile("metrics on (http://\\S+)");

    @TempDir
    Path dir;

    private Process process;
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    @AfterEach
    void stop() throws IOException {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    @Test
    void configuredFromAFileWithJsonLogsAndMetrics() throws Exception {
        Path conf = Files.write(dir.resolve("greylited.conf"), List.of(
                "# as in examples/systemd/greylited.conf, on loopback",
                "listen = 127.0.0.1:0",
                "upstream = 127.0.0.1:" + upstream.address().getPort(),
                "db = " + dir.resolve("greylite.db"),
                "ptr-timeout = 0          # tests never ask the system's resolver",
                "metrics = 127.0.0.1:0",
                "log-format = json"));
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Greylited.class.getName(), "--config",
                conf.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LOGPID", "");
        pb.environment().remove("GREYLITE_LOG_FORMAT");
        pb.environment().remove("LOGTHRESHOLD");
        process = pb.start();
        BlockingQueue<Map<String, Object>> log = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    try {
                        log.add(MiniJson.object(line));
                    } catch (IllegalArgumentException e) {
                        log.add(Map.of("formattedMessage", "NOT JSON: " + line));
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        });
        reader.setDaemon(true);
        reader.start();

        Map<String, Object> listening = await(log, m -> LISTENING.matcher(text(m)).find());
        Matcher port = LISTENING.matcher(text(listening));
        assertTrue(port.find());
        Matcher url = seen.stream().map(m -> METRICS.matcher(text(m))).filter(Matcher::find).findFirst()
                .orElseThrow(() -> new AssertionError("no metrics line before the listening line: " + seen));

        try (RawClient c = new RawClient(new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1)))).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 451);
            c.command("QUIT", 221);
        }
        Map<String, Object> decision = await(log, m -> text(m).startsWith("decision "));
        assertTrue(text(decision).startsWith("decision verdict=greylist reason=first-attempt client=127.0.0.1 "),
                text(decision));
        assertEquals("INFO", decision.get("level"));
        assertEquals(process.pid(), ((Number) decision.get("pid")).longValue(), "LOGPID puts the pid in each object");
        assertTrue(decision.get("timestamp") instanceof Long);
        Map<String, Object> session = await(log, m -> text(m).startsWith("session end "));
        assertTrue(text(session).contains(" rcpt-refused=1 "), text(session));

        HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url.group(1))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.body().contains(
                "greylite_rcpt_total{reason=\"first-attempt\",suspicion=\"none\",verdict=\"greylist\"} 1.0"), scrape.body());
        assertTrue(scrape.body().contains("greylite_sessions_total 1.0"), scrape.body());

        process.destroy(); // SIGTERM: a clean stop, still in JSON
        assertTrue(process.waitFor(20, TimeUnit.SECONDS));
        reader.join(5000);
        for (Map<String, Object> m : log) {
            assertTrue(!text(m).startsWith("NOT JSON"), text(m));
        }
    }

    private static String text(Map<String, Object> m) {
        Object t = m.get("formattedMessage");
        return t == null ? "" : t.toString();
    }

    /** The log lines {@link #await} has read. */
    private final List<Map<String, Object>> seen = new java.util.ArrayList<>();

    private Map<String, Object> await(BlockingQueue<Map<String, Object>> log, Predicate<Map<String, Object>> p)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Map<String, Object> m = log.poll(200, TimeUnit.MILLISECONDS);
            if (m != null) {
                seen.add(m);
                assertTrue(!text(m).startsWith("NOT JSON"), text(m));
                if (p.test(m)) {
                    return m;
                }
            } else if (!process.isAlive()) {
                throw new AssertionError("greylited exited, status " + process.exitValue());
            }
        }
        throw new AssertionError("no such log line within 30 s");
    }
}
