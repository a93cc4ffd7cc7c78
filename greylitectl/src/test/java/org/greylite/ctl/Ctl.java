package org.greylite.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ProgramJvm;

import picocli.CommandLine;

/** Runs greylitectl in-process, as its main would, with the output captured; or its real main in a JVM of its own. */
final class Ctl {

    /** What one run printed and returned. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** What a run of the real main printed and returned, and how long it took, JVM start included. */
    record MainRun(Run run, Duration took) {
        @Override
        public String toString() {
            return run + "--- took " + took.toMillis() + " ms\n";
        }
    }

    private Ctl() {
    }

    static Run run(Map<String, String> env, String... args) {
        return run(env, java.time.Clock.systemUTC(), args);
    }

    static Run run(Map<String, String> env, java.time.Clock clock, String... args) {
        CommandLine cmd = GreyliteCtl.commandLine(env, clock);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * Runs {@link GreyliteCtl#main} in a new JVM, as bin/greylitectl does, with {@code env} as its whole environment
     * (and PATH): its exit status, and everything it wrote to stdout and stderr, log lines included, which an
     * in-process run does not catch.
     */
    static MainRun main(Map<String, String> env, String... args) {
        return main(env, null, args);
    }

    /**
     * As {@link #main(Map, String...)}, its standard output going to {@code stdout} ({@code /dev/full}, say); the
     * run's {@code out} is then empty.
     */
    static MainRun main(Map<String, String> env, java.io.File stdout, String... args) {
        return main(List.of(), env, stdout, args);
    }

    /** As {@link #main(Map, java.io.File, String...)}, the JVM started with {@code jvmOptions} ({@code -Xmx32m}, say). */
    static MainRun main(List<String> jvmOptions, Map<String, String> env, java.io.File stdout, String... args) {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GreyliteCtl.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().retainAll(List.of("PATH"));
        pb.environment().putAll(env);
        if (stdout != null) {
            pb.redirectOutput(stdout);
        }
        long start = System.nanoTime();
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("greylitectl " + String.join(" ", args) + " did not end within 60 s");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new MainRun(new Run(p.exitValue(), out.join(), err.join()), took);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String readAll(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
