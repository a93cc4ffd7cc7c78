package org.greylite.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server for one test class, on loopback and a free port, in a temporary folder: a copy of a
 * cluster made by {@code initdb} once per test JVM ({@link ClusterTemplate}), then {@code pg_ctl start}; stopped and
 * deleted after the class.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final PostgresServer PG = new PostgresServer();
 * ... PG.url(PG.createDatabase())   // postgresql://greylite@127.0.0.1:PORT/t3, password in PG.env()
 * </pre>
 *
 * <p>The superuser is {@value #USER}, with a random password, the same for every server of one test JVM
 * ({@link #password()}, also as {@code PGPASSWORD} in {@link #env()}); loopback TCP connections need it
 * (scram-sha-256). Without
 * PostgreSQL installed the class is skipped, or fails under {@code CI=true} ({@link ExternalPrograms}).
 *
 * <p>initdb and postgres refuse to run as root. Run as root (a container, CI), they run as the
 * {@code postgres} user (Debian's package creates it), else {@code nobody}, through {@code runuser},
 * in a folder that user owns. The tests themselves stay root: only the server changes user.
 *
 * <p>{@link #stop()} and {@link #start()} let a test take the server away and bring it back on the same
 * port with the same data.
 */
public final class PostgresServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    /** The superuser the tests connect as. */
    public static final String USER = "greylite";

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private Path base;
    private Path data;
    private int port;
    private String password;
    private String runAs;
    private boolean running;
    private Thread cleanup;

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Starts the server: the first time, creates it; later (after {@link #stop()}), restarts it with its data. */
    public synchronized void start() {
        if (running) {
            return;
        }
        if (data == null) {
            create();
        }
        Path log = base.resolve("server.log");
        run(List.of(ExternalPrograms.require("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(),
                "-w", "-t", "60", "-o", "-c port=" + port + " -c listen_addresses=127.0.0.1"
                        + " -c unix_socket_directories=" + base + " -c fsync=off -c full_page_writes=off"
                        + " -c max_connections=200",
                "start"), true);
        running = true;
    }

    /** Stops the server (fast shutdown: sessions are cut off, as when a database host goes down); data is kept. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        run(List.of(ExternalPrograms.require("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w",
                "-t", "60", "stop"), true);
        running = false;
    }

    /**
     * Freezes the server (SIGSTOP to the postmaster and its processes), as a host that hangs: connections stay open
     * and new ones are taken by the kernel, but nothing answers. {@link #thaw()} lets it go on.
     */
    public synchronized void freeze() {
        signal("STOP");
    }

    public synchronized void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        // The postmaster's pid is postmaster.pid's first line; its children are the sessions and the workers.
        run(List.of("sh", "-c", "pid=$(head -n 1 '" + data + "/postmaster.pid') && kill -" + name
                + " $pid $(pgrep -P $pid)"), false);
    }

    private void create() {
        ExternalPrograms.require("pg_ctl");
        try {
            ClusterTemplate template = ClusterTemplate.get();
            runAs = template.runAs;
            password = template.password;
            base = template.newFolder("greylite-pg");
            data = base.resolve("data");
            port = FreePort.loopback();
            cleanup = new Thread(this::close, "postgres-test-server-stop");
            Runtime.getRuntime().addShutdownHook(cleanup);
            // cp -a as the server's user: the copy keeps the modes PostgreSQL insists on (0700) and is its user's.
            run(List.of("cp", "-a", template.data.toString(), data.toString()), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a PostgreSQL folder", e);
        }
    }

    /**
     * The cluster {@code initdb} makes, once per test JVM, never started: each server is a copy of it. initdb takes
     * seconds of a busy machine (its bootstrap runs the catalogue's SQL), a copy a fraction of one; every class of a
     * module that needs PostgreSQL paid it again. Deleted when the JVM ends.
     */
    private static final class ClusterTemplate {
        private static ClusterTemplate made;

        final String runAs;
        final String password;
        final Path data;

        private ClusterTemplate(String runAs, String password, Path data) {
            this.runAs = runAs;
            this.password = password;
            this.data = data;
        }

        static synchronized ClusterTemplate get() throws IOException {
            if (made == null) {
                made = make();
            }
            return made;
        }

        private static ClusterTemplate make() throws IOException {
            Path initdb = ExternalPrograms.require("initdb");
            String runAs = "root".equals(System.getProperty("user.name")) ? serverUser() : null;
            byte[] secret = new byte[12];
            new SecureRandom().nextBytes(secret);
            String password = HexFormat.of().formatHex(secret);
            ClusterTemplate template = new ClusterTemplate(runAs, password, null);
            Path folder = template.newFolder("greylite-pg-template");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(folder), "postgres-test-template-delete"));
            Path pwfile = folder.resolve("pw");
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            template.own(pwfile);
            Path data = folder.resolve("data");
            runIn(folder, runAs, List.of(initdb.toString(), "-D", data.toString(), "-U", USER, "--pwfile=" + pwfile,
                    "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync"), () -> "");
            Files.delete(pwfile);
            return new ClusterTemplate(runAs, password, data);
        }

        /** A new temporary folder, the server's user's. */
        Path newFolder(String prefix) throws IOException {
            Path folder = Files.createTempDirectory(prefix);
            own(folder);
            return folder;
        }

        private void own(Path path) throws IOException {
            if (runAs != null) {
                UserPrincipal owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
                Files.setOwner(path, owner);
            }
        }
    }

    /** The user the server runs as when the tests run as root. */
    private static String serverUser() {
        for (String candidate : new String[] {"postgres", "nobody"}) {
            try {
                Process p = new ProcessBuilder("id", "-u", candidate).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("running as root, and neither a 'postgres' nor a 'nobody' user exists to run "
                + "PostgreSQL as");
    }

    /** Runs a server program (as the server's user when we are root); fails with its output and the server log. */
    private void run(List<String> command, boolean serverControl) {
        runIn(base, runAs, command, () -> serverControl ? "\nserver log:\n" + serverLog() : "");
    }

    /**
     * Runs {@code command} in {@code folder}, as {@code runAs} unless null; fails with its output and
     * {@code moreOnFailure}.
     */
    private static void runIn(Path folder, String runAs, List<String> command, Supplier<String> moreOnFailure) {
        List<String> argv = new ArrayList<>();
        if (runAs != null) {
            argv.add(ExternalPrograms.require("runuser").toString());
            argv.add("-u");
            argv.add(runAs);
            argv.add("--");
        }
        argv.addAll(command);
        Path out = folder.resolve("command.out");
        try {
            Process p = new ProcessBuilder(argv).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " did not finish within 90 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "):\n"
                        + Files.readString(out) + moreOnFailure.get());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        }
    }

    /** The server's log so far (for failure messages). */
    public String serverLog() {
        try {
            Path log = base.resolve("server.log");
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    /**
     * The user the server runs as when the tests run as root, else null (the server runs as the tests' user): a
     * daemon put beside it ({@link PgBouncer}) runs as that user too.
     */
    public String runAs() {
        return runAs;
    }

    /** The environment a client needs besides the URL: {@code PGPASSWORD}. */
    public Map<String, String> env() {
        return Map.of("PGPASSWORD", password);
    }

    /** {@code postgresql://greylite@127.0.0.1:PORT/DATABASE}. */
    public String url(String database) {
        return "postgresql://" + USER + "@" + host() + ":" + port + "/" + database;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/DATABASE}, for a test's own connections (user {@value #USER}). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    /** Creates a new, empty database and returns its name (t1, t2, ...). */
    public String createDatabase() {
        String name = "t" + DATABASES.incrementAndGet();
        psql("postgres", "CREATE DATABASE " + name);
        return name;
    }

    /** Runs SQL with psql; returns its unaligned, tuples-only output. */
    public String psql(String database, String sql) {
        ProcessBuilder pb = new ProcessBuilder(ExternalPrograms.require("psql").toString(), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-h", host(), "-p", Integer.toString(port), "-U", USER, "-d", database,
                "-c", sql).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", password);
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        try {
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("psql -c '" + sql + "' failed: " + output);
            }
            return output.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server and deletes its folder. */
    @Override
    public synchronized void close() {
        if (base == null) {
            return;
        }
        try {
            if (running) {
                run(List.of(ExternalPrograms.require("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate",
                        "-w", "stop"), false);
                running = false;
            }
        } catch (RuntimeException e) {
            System.err.println("PostgresServer: " + e.getMessage());
        } finally {
            delete(base);
            base = null;
            data = null;
            if (cleanup != null && Thread.currentThread() != cleanup) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException ignored) {
                    // the JVM is already shutting down
                }
            }
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover in the temporary folder
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
