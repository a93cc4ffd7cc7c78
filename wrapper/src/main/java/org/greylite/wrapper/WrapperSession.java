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
import java.util.concurrent.CompletableFuture;

import org.greylite.config.Logging;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.SessionFacts;
import org.greylite.net.PtrName;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.SessionInfo;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;
import org.greylite.text.ClientText;
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

    /** How long the last replies may take to reach the client once the session is over. */
    static final long CLIENT_FLUSH_MS = 10_000;
    /** How long the 421 of a greylite told to stop (SIGTERM) may take to reach the client before it exits. */
    static final long STOP_FLUSH_MS = 2_000;

    private final List<String> command;
    private final Map<String, String> env;
    private final InputStream clientIn;
    private final OutputStream clientOut;
    private final PrintStream err;
    private final Clock clock;
    private final Runnable endClientConnection;

    WrapperSession(List<String> command, Map<String, String> env, InputStream clientIn, OutputStream clientOut,
                   PrintStream err, Clock clock) {
        this(command, env, clientIn, clientOut, err, clock, () -> { });
    }

    /**
     * @param endClientConnection ends the connection for the client once its last reply is written, while greylite
     *                            still waits for PROGRAM (see {@link ClientConnectionEnd})
     */
    WrapperSession(List<String> command, Map<String, String> env, InputStream clientIn, OutputStream clientOut,
                   PrintStream err, Clock clock, Runnable endClientConnection) {
        this.command = List.copyOf(command);
        this.env = env;
        this.clientIn = clientIn;
        this.clientOut = clientOut;
        this.err = err;
        this.clock = clock;
        this.endClientConnection = endClientConnection;
    }

    /** Runs the session to its end; returns the exit status (PROGRAM's). */
    int run() throws InterruptedException {
        String hostname = hostname(env);
        // Every setting from the model: the variable where greylite honours one, else greylited's default.
        EnvironmentSettings settings = new EnvironmentSettings(env, org.greylite.settings.Program.GREYLITE);
        GreylistSettings greylist;
        RelaySettings relaySettings;
        Duration idleTimeout;
        Duration upstreamTimeout;
        Duration busyTimeout;
        try {
            greylist = settings.greylist();
            relaySettings = settings.relay(hostname);
            idleTimeout = settings.get(Settings.IDLE_TIMEOUT);
            upstreamTimeout = settings.get(Settings.UPSTREAM_TIMEOUT);
            busyTimeout = settings.get(Settings.BUSY_TIMEOUT);
        } catch (IllegalArgumentException e) {
            // A broken setting refuses every connection, temporarily: mail waits, nothing is lost.
            err.println("greylite: " + e.getMessage() + "; connection refused with 421");
            err.flush();
            refuse(hostname);
            return Greylite.EXIT_TEMPORARY;
        }

        Process early = null;
        IOException earlyFailure = null;
        if (relaySettings.greetDelayMillis() == 0) {
            try {
                early = Program.startWithPipes(command, env);
            } catch (IOException e) {
                earlyFailure = e;
            }
        }
        StreamRelayTransport transport = null;
        try {
            Logging.configure(env, org.greylite.settings.Program.GREYLITE);
            Logger log = LoggerFactory.getLogger(Greylite.class);

            InetAddress client = ClientAddress.parse(env.get("TCPREMOTEIP"));
            boolean greylisting = true;
            if (client == null) {
                log.error("TCPREMOTEIP is {}: not run by tcpserver? This connection is relayed without greylisting",
                        env.containsKey("TCPREMOTEIP") ? "'" + ClientText.printable(env.get("TCPREMOTEIP"), 60)
                                + "', not an IP address" : "not set");
                client = InetAddress.getByAddress(new byte[4]);
                greylisting = false;
            }
            CompletableFuture<String> name = clientName(client, greylisting);
            // The name is not known at once: decisions wait for the check, the session-end line takes it when done.
            SessionFacts known = SessionFacts.of(client).withVariables(env);
            SessionInfo info = new SessionInfo(client, "", env, greylisting, name.thenApply(known::withPtrName));
            Decisions decisions = new Decisions(GreydbLocation.parse(settings.get(Settings.DB), env), busyTimeout, greylist,
                    settings.get(Settings.SUSPICION), env, clock);

            transport = new StreamRelayTransport(command, env, early, earlyFailure, clientIn, clientOut,
                    idleTimeout.toMillis(), upstreamTimeout.toMillis());
            early = null; // the transport owns it now
            RelaySession relay = new RelaySession(transport, decisions, relaySettings, info);
            relay.nameFrom(name);
            StreamRelayTransport t = transport;
            byte[] stopReply = relaySettings.replies().shuttingDown().raw();
            Thread onTerm = new Thread(() -> t.stop(STOP_FLUSH_MS, stopReply), "greylite-stop-session");
            Runtime.getRuntime().addShutdownHook(onTerm);
            transport.start(relay);

            transport.awaitSessionOver();
            transport.finishClient(CLIENT_FLUSH_MS);
            endClientConnection.run(); // the client sees the end now, not once PROGRAM has exited
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

    /**
     * TCPREMOTEHOST once its forward records confirm it (see {@link ConfirmedName}), or "". Only a session that
     * greylists needs the name: a relay client (RELAYCLIENT, WHITELISTED) is never looked up.
     */
    private CompletableFuture<String> clientName(InetAddress client, boolean greylisting) {
        String claimed = PtrName.compared(env.get("TCPREMOTEHOST"));
        if (!greylisting || claimed.isEmpty() || SessionFacts.skipReason(env) != null) {
            return CompletableFuture.completedFuture("");
        }
        return ConfirmedName.confirm(claimed, client, env.get("DNSCACHEIP"), ConfirmedName.TIMEOUT);
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

    /**
     * The name in the proxy's own 421 replies: tcpserver's TCPLOCALHOST, else the kernel's host name. A
     * TCPLOCALHOST of {@code 0} names no host: it is what {@code tcpserver -l0} sets, tcpserver's own suggestion
     * for skipping the DNS lookup of the local name, and a client's log would otherwise read
     * {@code 421 4.3.0 0 service temporarily unavailable}.
     */
    static String hostname(Map<String, String> env) {
        String h = env.get("TCPLOCALHOST");
        if (h != null && !h.isBlank() && !h.trim().equals("0")) {
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
