package org.greylite.greydaemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * greydaemon as a real process (the test's class path, as the launcher runs it), its stderr and stdout
 * gathered line by line, so that a test reads what an administrator reads. {@link #close()} sends SIGTERM.
 */
final class GreydaemonProcess implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new ArrayList<>();

    private GreydaemonProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::read, "greydaemon-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts greydaemon with {@code args}, without the shipped known senders. */
    static GreydaemonProcess start(String... args) throws IOException {
        return start(java.util.Map.of(), args);
    }

    /** {@link #start(String...)} with {@code env} added to the environment. */
    static GreydaemonProcess start(java.util.Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", mainClassPath(), GreyDaemon.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("GREYLITE_NO_SHIPPED_WHITELIST", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        return new GreydaemonProcess(p);
    }

    /**
     * This JVM's class path without the test classes, whose logback-test.xml keeps only warnings: the process
     * logs as the installed program does.
     */
    static String mainClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /** The first line holding {@code text}, waited for up to {@code within}. */
    String awaitLine(String text, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (l.contains(text)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no line with '" + text + "':\n" + String.join("\n", lines));
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** The exit status once it ends by itself within {@code within}, or -1 if it is still running then. */
    int awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGTERM, as systemd stops it; the exit status, or -1 if it was still running after {@code within}. */
    int terminate(Duration within) throws InterruptedException {
        process.destroy();
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
