package org.greylite.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.daemon.tls.TestCertificates;
import org.greylite.testing.ProgramJvm;

/**
 * greylited as a separate process, started from this JVM's classpath, with the lines it logs kept.
 * The one place the greylited tests start it: {@link #start} for the common case, {@link #command} for the rest.
 */
final class GreylitedProcess implements AutoCloseable {

    /**
     * The start-up line, on IPv4 or IPv6 loopback, or every address ({@code [::]}, reached on loopback): RFC 5952
     * text, in brackets before the port.
     */
    private static final Pattern LISTENING = Pattern.compile("listening on (127\\.0\\.0\\.1|\\[::1?\\]):(\\d+)");
    private static final Duration START = Duration.ofSeconds(30);

    /** The process itself: its pid for kill(1), {@code destroyForcibly()} for a kill -9, {@code waitFor} for its end. */
    final Process process;
    final int port;
    private final String host;
    /** Every line logged so far, in order. */
    final List<String> log;
    private final Thread reader;

    private GreylitedProcess(Process process, List<String> log, Thread reader, String host, int port) {
        this.process = process;
        this.log = log;
        this.reader = reader;
        this.host = host;
        this.port = port;
    }

    /**
     * Starts greylited on a free loopback port in front of {@code upstream}, with a greydb in {@code dir},
     * no PTR lookups (tests never ask the system's resolver), and {@code extra} flags; returns once it listens.
     */
    static GreylitedProcess start(Path dir, InetSocketAddress upstream, String... extra) throws Exception {
        return command(upstream).db(dir.resolve("greylite.db")).args(extra).start();
    }

    /** A greylited command line to fill in: a free loopback port in front of {@code upstream}, no PTR lookups, no --db yet. */
    static Command command(InetSocketAddress upstream) {
        return new Command(upstream);
    }

    /** What a greylited that stopped at start-up said, and its exit status. */
    record Exit(int status, String output) {
    }

    /** greylited's arguments and environment, before it runs. */
    static final class Command {
        private final List<String> args = new ArrayList<>();
        private Path workingDirectory; // null: this JVM's
        private final Set<String> unset = new HashSet<>();
        private final Map<String, String> env = new HashMap<>();

        private Command(InetSocketAddress upstream) {
            args.addAll(ProgramJvm.java());
            args("-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                    "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.getPort(), "--ptr-timeout", "0");
        }

        /**
         * Options for greylited's JVM ({@code -Dname=value}, say), before its class path: what an administrator gives
         * the {@code java} command, not greylited.
         */
        Command jvm(String... options) {
            args.addAll(args.indexOf("-cp"), List.of(options));
            return this;
        }

        Command db(Path file) {
            return db(file.toString());
        }

        /** {@code --db}: a file or a {@code postgresql://} URL. */
        Command db(String location) {
            return args("--db", location);
        }

        /** {@code --listen}: where to listen, instead of a free port on 127.0.0.1. */
        Command listen(String hostPort) {
            args.set(args.indexOf("--listen") + 1, hostPort);
            return this;
        }

        /** Leaves out one of the flags this class gives ({@code --listen}, say), and its value. */
        Command without(String flag) {
            int at = args.indexOf(flag);
            if (at < 0) {
                throw new IllegalArgumentException(flag + " is not on the command line: " + args);
            }
            args.subList(at, at + 2).clear();
            return this;
        }

        /** {@code --tls-cert} and {@code --tls-key}: STARTTLS offered to clients, with {@code pem}'s certificate. */
        Command tls(TestCertificates.Pem pem) {
            return args("--tls-cert", pem.cert().toString(), "--tls-key", pem.key().toString());
        }

        Command args(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        /** Variables this JVM has that greylited must not see (it reads its options from the environment too). */
        Command withoutEnv(String... names) {
            unset.addAll(List.of(names));
            return this;
        }

        /** Runs greylited in {@code folder} (where a relative path, the demo's greydb say, lands). */
        Command in(Path folder) {
            workingDirectory = folder;
            return this;
        }

        /** Variables greylited gets; they win over {@link #withoutEnv}. */
        Command env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** Starts greylited and returns once it logged the port it listens on. */
        GreylitedProcess start() throws Exception {
            return start(null);
        }

        /**
         * Starts greylited, sends it {@code signal} (HUP, say) through kill(1) as soon as it logs its first line,
         * in the middle of its start, and returns once it logged the port it listens on.
         */
        GreylitedProcess startSignalledAtFirstLine(String signal) throws Exception {
            return start(signal);
        }

        private GreylitedProcess start(String earlySignal) throws Exception {
            Process p = launch();
            List<String> log = new CopyOnWriteArrayList<>();
            Thread reader = readLines(p, log);
            GreylitedProcess starting = new GreylitedProcess(p, log, reader, null, 0); // its port is not known yet
            try {
                if (earlySignal != null) {
                    starting.await(0, l -> true, START, "first line");
                    starting.signal(earlySignal);
                }
                String listening = starting.await(0, l -> LISTENING.matcher(l).find(), START, "'listening on' line");
                Matcher m = LISTENING.matcher(listening);
                m.find();
                String host = m.group(1).startsWith("[") ? "::1" : m.group(1);
                return new GreylitedProcess(p, log, reader, host, Integer.parseInt(m.group(2)));
            } catch (AssertionError | InterruptedException e) {
                p.destroyForcibly();
                throw e;
            }
        }

        /** Runs a greylited expected to stop at start-up, to its end; returns what it said and its exit status. */
        Exit runToExit() throws Exception {
            Process p = launch();
            List<String> log = new CopyOnWriteArrayList<>();
            Thread reader = readLines(p, log);
            if (!p.waitFor(START.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("greylited still runs " + START.toSeconds() + " s after its start: " + log);
            }
            reader.join(10_000); // the last lines, written just before it exited
            return new Exit(p.exitValue(), String.join("\n", log));
        }

        private Process launch() throws IOException {
            ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true);
            pb.environment().keySet().removeAll(unset);
            pb.environment().putAll(env);
            if (workingDirectory != null) {
                pb.directory(workingDirectory.toFile());
            }
            return pb.start();
        }
    }

    /** Keeps every line {@code p} writes in {@code log}, on a thread of its own that ends with the output. */
    private static Thread readLines(Process p, List<String> log) {
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
        return reader;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    boolean logged(String text) {
        return log.stream().anyMatch(l -> l.contains(text));
    }

    /** The first line containing {@code fragment}, waiting up to {@code bound} for it. */
    String awaitLine(String fragment, Duration bound) throws InterruptedException {
        return awaitLine(0, fragment, bound);
    }

    /** The first line containing {@code fragment} from line {@code from} on (a {@code log.size()} taken earlier). */
    String awaitLine(int from, String fragment, Duration bound) throws InterruptedException {
        return await(from, l -> l.contains(fragment), bound, "line with '" + fragment + "'");
    }

    private String await(int from, Predicate<String> wanted, Duration bound, String what) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            // Whether the output ended is read before the lines: a line written just before the end is still looked at.
            boolean ended = !reader.isAlive();
            List<String> lines = List.copyOf(log);
            for (String line : lines.subList(Math.min(from, lines.size()), lines.size())) {
                if (wanted.test(line)) {
                    return line;
                }
            }
            if (ended) {
                throw new AssertionError("greylited's output ended with no " + what + ": " + lines);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("greylited logged no " + what + " within " + bound.toSeconds() + " s: " + lines);
            }
            Thread.sleep(20);
        }
    }

    /** Sends {@code signal} (TERM, HUP, ...) through kill(1), as an administrator does; returns kill's exit status. */
    int signal(String signal) throws IOException, InterruptedException {
        // Not Process.destroy(): that sends SIGTERM but also closes this end of greylited's output.
        return new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
    }

    /** Stops greylited with SIGTERM, and with SIGKILL if it has not ended 20 s later; returns once it is gone. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            signal("TERM");
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
