package org.greylite.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One of the project's programs as a real process (this JVM's class path without the test classes, as the
 * launcher runs it), its stderr and stdout gathered line by line, so that a test reads what an administrator
 * reads. {@link #close()} sends SIGTERM.
 */
public final class JavaProgram implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new ArrayList<>();

    private JavaProgram(Process process, String name) {
        this.process = process;
        Thread reader = new Thread(this::read, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code args}, its standard input closed; {@code environment} adjusts the
     * environment it inherits from this JVM.
     */
    public static JavaProgram start(Class<?> mainClass, List<String> args, Consumer<Map<String, String>> environment)
            throws IOException {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", mainClassPath(), mainClass.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        environment.accept(pb.environment());
        Process p = pb.start();
        p.getOutputStream().close();
        return new JavaProgram(p, mainClass.getSimpleName());
    }

    /**
     * As {@link #start}, the command written as UTF-8 into a shell script in {@code dir} that {@code sh} runs: the
     * arguments reach the program as UTF-8 bytes whatever this JVM's locale, where a JVM under the C locale (a machine
     * with no {@code LANG}) would pass {@code ö} as {@code ?}.
     */
    public static JavaProgram startThroughShell(Path dir, Class<?> mainClass, List<String> args,
            Consumer<Map<String, String>> environment) throws IOException {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", mainClassPath(), mainClass.getName()));
        command.addAll(args);
        Path script = Files.createTempFile(dir, mainClass.getSimpleName(), ".sh");
        Files.writeString(script, "exec " + command.stream().map(JavaProgram::shellQuoted).collect(Collectors.joining(" "))
                + "\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
        environment.accept(pb.environment());
        Process p = pb.start();
        p.getOutputStream().close();
        return new JavaProgram(p, mainClass.getSimpleName());
    }

    private static String shellQuoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * This JVM's class path without the test classes, whose logback-test.xml keeps only warnings: the process
     * logs as the installed program does.
     */
    static String mainClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes")).collect(Collectors.joining(File.pathSeparator));
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
    public String awaitLine(String text, Duration within) throws InterruptedException {
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

    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** The exit status once it ends by itself within {@code within}, or -1 if it is still running then. */
    public int awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Sends {@code signal} ({@code HUP}, say) with kill(1); returns kill's exit status. */
    public int signal(String signal) throws IOException, InterruptedException {
        return new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
    }

    /** The process id, for what a test asks of the kernel about the process ({@code /proc}, prlimit(1)). */
    public long pid() {
        return process.pid();
    }

    /** Whether the process still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, as systemd stops it; the exit status, or -1 if it was still running after {@code within}. */
    public int terminate(Duration within) throws InterruptedException {
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
