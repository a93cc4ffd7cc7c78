package org.greylite.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** greylited as a separate process, started from this JVM's classpath, with the lines it logs kept. */
final class GreylitedProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    final Process process;
    final int port;
    /** Every line logged so far, in order. */
    final Queue<String> log;

    private GreylitedProcess(Process process, int port, Queue<String> log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts greylited on a free loopback port in front of {@code upstream}, with a greydb in {@code dir},
     * no PTR lookups (tests never ask the system's resolver), and {@code extra} flags; returns once it listens.
     */
    static GreylitedProcess start(Path dir, InetSocketAddress upstream, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.getPort(),
                "--db", dir.resolve("greylite.db").toString(), "--ptr-timeout", "0"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Queue<String> log = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "greylited-log");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (String line : log) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new GreylitedProcess(p, Integer.parseInt(m.group(1)), log);
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("greylited exited at start: " + log);
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("greylited did not start: " + log);
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    boolean logged(String text) {
        return log.stream().anyMatch(l -> l.contains(text));
    }

    @Override
    public void close() throws Exception {
        // SIGTERM through kill(1), as an administrator stops it.
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
