package org.greylite.wrapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.greylite.config.Environment;
import org.greylite.config.Logging;
import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.relay.SessionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One greylisted connection: the client on two streams, PROGRAM behind pipes, the relay between them.
 *
 * <p>Order matters for the time to the greeting: PROGRAM is started first (its own start-up, a JVM
 * for {@code ucspi2socket}, overlaps with ours), then logging and the relay are set up; the greydb and
 * the suspicion file are opened only when the first RCPT needs them. With a greeting delay PROGRAM is
 * started only when the delay is over (a tarpitted bot costs the upstream nothing).
 */
final class WrapperSession {

    /** A client silent this long while the relay waits for it gets {@code 421 4.4.2} (as greylited's default). */
    static final long IDLE_TIMEOUT_MS = Duration.ofMinutes(5).toMillis();
    /** PROGRAM silent this long while it owes a reply: the client gets {@code 421 4.3.0}. */
    static final long UPSTREAM_TIMEOUT_MS = Duration.ofMinutes(10).toMillis();
    /** How long a greydb write waits for another process's lock. */
    static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);
    /** How long the last replies may take to reach the client once the session is over. */
    static final long CLIENT_FLUSH_MS = 10_000;

    private final List<String> command;
    private final Map<String, String> env;
    private final InputStream clientIn;
    private final OutputStream clientOut;
    private final PrintStream err;
    private final Clock clock;

    WrapperSession(List<String> command, Map<String, String> env, InputStream clientIn, OutputStream clientOut,
                   PrintStream err, Clock clock) {
        this.command = List.copyOf(command);
        this.env = env;
        this.clientIn = clientIn;
        this.clientOut = clientOut;
        this.err = err;
        this.clock = clock;
    }

    /** Runs the session to its end; returns the exit status (PROGRAM's). */
    int run() throws InterruptedException {
        String hostname = hostname(env);
        long greetDelay = Environment.greetDelayMillis(env);
        GreylistSettings greylist;
        int junkCommandLimit;
        try {
            greylist = Environment.greylistSettings(env, GreylistSettings.defaults());
            junkCommandLimit = Environment.junkCommandLimit(env);
        } catch (IllegalArgumentException e) {
            // A broken setting refuses every connection, temporarily: mail waits, nothing is lost.
            err.println("greylite: " + e.getMessage() + "; connection refused with 421");
            err.flush();
            refuse(hostname);
            return Greylite.EXIT_TEMPORARY;
        }

        Process early = null;
        IOException earlyFailure = null;
        if (greetDelay == 0) {
            try {
                early = Program.startWithPipes(command, env);
            } catch (IOException e) {
                earlyFailure = e;
            }
        }
        StreamRelayTransport transport = null;
        try {
            Logging.configure(env, 3);
            Logger log = LoggerFactory.getLogger(Greylite.class);

            InetAddress client = ClientAddress.parse(env.get("TCPREMOTEIP"));
            boolean greylisting = true;
            if (client == null) {
                log.error("TCPREMOTEIP is {}: not run by tcpserver? This connection is relayed without greylisting",
                        env.containsKey("TCPREMOTEIP") ? "'" + env.get("TCPREMOTEIP") + "', not an IP address" : "not set");
                client = InetAddress.getByAddress(new byte[4]);
                greylisting = false;
            }
            SessionInfo info = new SessionInfo(client, env.get("TCPREMOTEHOST"), env, greylisting);
            Decisions decisions = new Decisions(Environment.dbLocation(env), BUSY_TIMEOUT, greylist,
                    Environment.suspicionFile(env), env, clock);
            RelaySettings settings = new RelaySettings(RelaySettings.DEFAULT_MAX_LINE, greetDelay,
                    Replies.defaults(hostname), junkCommandLimit);

            transport = new StreamRelayTransport(command, env, early, earlyFailure, clientIn, clientOut,
                    IDLE_TIMEOUT_MS, UPSTREAM_TIMEOUT_MS);
            early = null; // the transport owns it now
            RelaySession relay = new RelaySession(transport, decisions, settings, info);
            StreamRelayTransport t = transport;
            Thread onTerm = new Thread(t::terminateProgram, "greylite-terminate-program");
            Runtime.getRuntime().addShutdownHook(onTerm);
            transport.start(relay);

            transport.awaitSessionOver();
            transport.finishClient(CLIENT_FLUSH_MS);
            int status = transport.programStatus(Program.EXIT_GRACE_MS);
            decisions.purgeIfDue();
            decisions.close();
            try {
                Runtime.getRuntime().removeShutdownHook(onTerm);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or has run; the status is PROGRAM's all the same
            }
            return status;
        } catch (IOException | RuntimeException e) {
            err.println("greylite: cannot run the session: " + e);
            err.flush();
            if (transport == null) {
                refuse(hostname);
            }
            return Greylite.EXIT_TEMPORARY;
        } finally {
            if (early != null) {
                early.destroy();
            }
        }
    }

    private void refuse(String hostname) {
        try {
            clientOut.write(("421 4.3.0 " + hostname + " service temporarily unavailable, closing connection\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            clientOut.flush();
            clientOut.close();
        } catch (IOException ignored) {
            // the client is gone already
        }
    }

    /** The name in the proxy's own 421 replies: tcpserver's TCPLOCALHOST, else the kernel's host name. */
    static String hostname(Map<String, String> env) {
        String h = env.get("TCPLOCALHOST");
        if (h != null && !h.isBlank()) {
            return h.trim();
        }
        try {
            String k = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
            if (!k.isEmpty()) {
                return k;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "localhost";
    }
}
