package org.greylite.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's PgBouncer in front of a {@link PostgresServer}, on loopback and a free port, as sites put it between
 * their MX hosts and the database: every database of the server, the server's user and password, in the pool mode
 * a test asks for ({@code session} or {@code transaction}).
 *
 * <pre>
 * try (PgBouncer bouncer = PgBouncer.start(PG, PgBouncer.Mode.TRANSACTION)) {
 *     bouncer.url(PG.createDatabase())   // postgresql://greylite@127.0.0.1:BOUNCER_PORT/t3, password in PG.env()
 * }
 * </pre>
 *
 * <p>Without PgBouncer installed the test is skipped, or fails under {@code CI=true} ({@link ExternalPrograms}).
 * PgBouncer refuses to run as root: run as root, it runs as the server's user ({@link PostgresServer#runAs()}).
 */
public final class PgBouncer implements AutoCloseable {

    /** PgBouncer's {@code pool_mode}. */
    public enum Mode {
        /** A client keeps one server connection for as long as it is connected. */
        SESSION,
        /** A client gets a server connection for one transaction at a time, maybe another one each time. */
        TRANSACTION
    }

    private final Path base;
    private final Process process;
    private final int port;

    private PgBouncer(Path base, Process process, int port) {
        this.base = base;
        this.process = process;
        this.port = port;
    }

    /** Starts PgBouncer before {@code server} (which must be running) and waits until it takes connections. */
    public static PgBouncer start(PostgresServer server, Mode mode) throws IOException, InterruptedException {
        return start(server, mode, 4);
    }

    /**
     * Starts PgBouncer before {@code server}, keeping at most {@code serverConnections} connections to it for each
     * database ({@code default_pool_size}), and waits until it takes connections.
     */
    public static PgBouncer start(PostgresServer server, Mode mode, int serverConnections)
            throws IOException, InterruptedException {
        return start(server, mode, serverConnections, "*");
    }

    /**
     * Starts PgBouncer before {@code server}, serving the one database {@code database} (PgBouncer answers a client
     * asking for another one "no such database"), and waits until it takes connections.
     */
    public static PgBouncer serving(PostgresServer server, Mode mode, String database)
            throws IOException, InterruptedException {
        return start(server, mode, 4, database);
    }

    private static PgBouncer start(PostgresServer server, Mode mode, int serverConnections, String databases)
            throws IOException, InterruptedException {
        Path pgbouncer = ExternalPrograms.require("pgbouncer");
        Path base = Files.createTempDirectory("greylite-pgbouncer");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path users = base.resolve("users.txt");
        Files.writeString(users, "\"" + PostgresServer.USER + "\" \"" + server.password() + "\"\n", StandardCharsets.UTF_8);
        Path ini = base.resolve("pgbouncer.ini");
        Files.writeString(ini, String.join("\n",
                "[databases]",
                databases + " = host=" + server.host() + " port=" + server.port(),
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = " + port,
                "unix_socket_dir =",
                "auth_type = scram-sha-256",
                "auth_file = " + users,
                "pool_mode = " + mode.name().toLowerCase(Locale.ROOT),
                "default_pool_size = " + serverConnections,
                "max_client_conn = 100",
                "logfile = " + base.resolve("pgbouncer.log"),
                "pidfile = " + base.resolve("pgbouncer.pid"),
                ""), StandardCharsets.UTF_8);
        List<String> argv = new ArrayList<>();
        String runAs = server.runAs();
        if (runAs != null) {
            UserPrincipal owner = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
            for (Path p : List.of(base, users, ini)) {
                Files.setOwner(p, owner);
            }
            argv.addAll(List.of(ExternalPrograms.require("runuser").toString(), "-u", runAs, "--"));
        }
        argv.add(pgbouncer.toString());
        argv.add(ini.toString());
        Process process = new ProcessBuilder(argv).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("output.txt").toFile()).start();
        PgBouncer bouncer = new PgBouncer(base, process, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!bouncer.listening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = bouncer.log();
                bouncer.close();
                throw new IllegalStateException("pgbouncer did not start:\n" + log);
            }
            Thread.sleep(50);
        }
        return bouncer;
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** {@code postgresql://greylite@127.0.0.1:PORT/DATABASE}: the database through PgBouncer (password: the server's). */
    public String url(String database) {
        return "postgresql://" + PostgresServer.USER + "@127.0.0.1:" + port + "/" + database;
    }

    /** What PgBouncer wrote so far (for failure messages). */
    public String log() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("output.txt", "pgbouncer.log")) {
            try {
                Path f = base.resolve(name);
                if (Files.exists(f)) {
                    out.append(Files.readString(f));
                }
            } catch (IOException e) {
                out.append("(").append(name).append(" unreadable: ").append(e.getMessage()).append(")\n");
            }
        }
        return out.toString();
    }

    /** Stops PgBouncer (by the process id it wrote, which is runuser's child when we are root) and deletes its folder. */
    @Override
    public void close() {
        try {
            Path pidFile = base.resolve("pgbouncer.pid");
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(ProcessHandle::destroy);
            }
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | NumberFormatException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            try (Stream<Path> walk = Files.walk(base)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
