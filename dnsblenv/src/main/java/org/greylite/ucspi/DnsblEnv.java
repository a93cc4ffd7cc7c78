package org.greylite.ucspi;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.greylite.config.ProgramStartFailure;

/**
 * {@code dnsblenv PROGRAM [ARG...]}: the UCSPI pre-module that marks clients listed in a DNSBL.
 *
 * <p>It looks the client ({@code TCPREMOTEIP}) up in every zone of {@code DNSBL}, and if a zone
 * lists it, sets {@code BLACKLISTED} to that zone's name; then it runs PROGRAM (typically
 * {@code greylite}, whose suspicion file can then treat listed clients harder with a {@code v} rule).
 * It never rejects anyone itself. A run script line looks like:
 * <pre>
 *   tcpserver -v -R 0 25 env DNSBL="zen.example bl.example" dnsblenv greylite qmail-smtpd
 * </pre>
 *
 * <h2>Environment</h2>
 * <dl>
 *   <dt>{@code TCPREMOTEIP}</dt>
 *   <dd>the client, as tcpserver sets it: IPv4 ({@code 192.0.2.1}, queried as
 *       {@code 1.2.0.192.ZONE}) or IPv6 (queried as its 32 nibbles in reverse order, RFC 5782);
 *       an IPv4-mapped IPv6 address is queried as the IPv4 address, and so is one that only carries an IPv4
 *       address (NAT64's {@code 64:ff9b::/96}, Teredo). Unset: PROGRAM runs at once;
 *       not an address: PROGRAM runs at once, with a line on stderr.</dd>
 *   <dt>{@code DNSBL}</dt>
 *   <dd>the zones, separated by spaces. Unset or blank: PROGRAM runs at once.</dd>
 *   <dt>{@code DNSBL_VARNAME}</dt>
 *   <dd>the variable to set instead of {@code BLACKLISTED}: letters, digits and '_', not starting with a
 *       digit, the names /bin/sh passes on; with any other name, a line on stderr and no variable set.</dd>
 *   <dt>{@code DNSBL_TIMEOUT}</dt>
 *   <dd>milliseconds the whole check may take (default {@value #DEFAULT_TIMEOUT_MS}, at most
 *       {@value #MAX_TIMEOUT_MS}). The zones are
 *       asked in parallel, so this is both the time per lookup and the total.</dd>
 *   <dt>{@code DNSCACHEIP}</dt>
 *   <dd>the resolver(s), the djbdns convention: one or more IP addresses separated by spaces,
 *       each optionally with a port ({@code 127.0.0.1:5353}, {@code [::1]:5353}). Unset: the
 *       system's resolvers ({@code /etc/resolv.conf}).</dd>
 * </dl>
 *
 * <h2>What counts as listed</h2>
 * The value set is the zone exactly as written in {@code DNSBL}, of the first zone in that order
 * that lists the client. A zone lists the client when the A query gets an A record in 127.0.0.0/8
 * (RFC 5782) other than 127.255.255.0/24, which Spamhaus uses for error replies; any other
 * address is logged and ignored, since a list answering outside 127/8 is broken or expired and
 * would otherwise mark every client. NXDOMAIN and empty answers mean "not listed", silently. A
 * timeout, SERVFAIL, REFUSED or network error also means "not listed" (mail keeps flowing when a
 * list is down) and is logged: {@code dnsblenv: 192.0.2.1 lookup in zen.example failed: timed out}.
 * A listing is logged too. A variable already set in the environment (say by tcprules) is left
 * as it is when the client is not listed.
 *
 * <h2>Running PROGRAM</h2>
 * A JVM cannot replace itself with another program, so PROGRAM runs as a child that inherits
 * descriptors 0, 1 and 2 (the client's connection under tcpserver; no byte passes through this
 * process) and the environment. dnsblenv waits for it and exits with its exit status (128 plus the
 * signal number if a signal ended it). When dnsblenv is told to terminate, it passes SIGTERM on.
 * Nothing is ever written to descriptor 1: that is the client.
 *
 * <h2>Exit codes</h2>
 * PROGRAM's status; 100 for a usage error (no PROGRAM); 111 when PROGRAM cannot be started.
 */
public final class DnsblEnv {

    static final int EXIT_USAGE = 100;
    static final int EXIT_TEMPORARY = 111;
    static final int DEFAULT_TIMEOUT_MS = 2000;

    /** The longest check: five minutes, what RFC 5321 4.5.3.2.1 gives a client to wait for the greeting. */
    static final int MAX_TIMEOUT_MS = 300_000;
    static final String DEFAULT_VARNAME = "BLACKLISTED";

    /** A name in POSIX's sense (XBD 3.235), what /bin/sh keeps in the environment it passes on. */
    private static final Pattern SHELL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final String NAME = "dnsblenv";
    /** How long a terminated dnsblenv gives PROGRAM to end before it exits itself. */
    private static final long CHILD_GRACE_MS = 2000;

    private DnsblEnv() {
    }

    public static void main(String[] args) {
        silenceLibraryLogging();
        System.exit(run(args, System.getenv(), System.err));
    }

    /**
     * dnsjava logs through SLF4J. Whatever binding happens to be on the class path (the bin/
     * launchers share one folder of jars with greylited, logback included) could write to stdout,
     * which here is the client's connection; dnsblenv logs its own lines, so no binding is wanted.
     * A {@code -Dslf4j.provider=...} given by the administrator still wins.
     */
    private static void silenceLibraryLogging() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        }
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
    }

    static int run(String[] args, Map<String, String> env, PrintStream err) {
        Consumer<String> log = line -> {
            err.println(NAME + ": " + line);
            err.flush();
        };
        if (args.length == 0 || args[0].isEmpty()) {
            log.accept("usage: dnsblenv PROGRAM [ARG...]");
            return EXIT_USAGE;
        }
        String varname = varname(env.get("DNSBL_VARNAME"), log);
        Optional<DnsblCheck.Listed> listing = check(env, log);

        ProcessBuilder builder = new ProcessBuilder(Arrays.asList(args)).inheritIO();
        if (varname != null) {
            listing.ifPresent(l -> builder.environment().put(varname, l.zone()));
        }
        Process child;
        try {
            child = builder.start();
        } catch (IOException | RuntimeException e) {
            log.accept("cannot run " + args[0] + ": " + ProgramStartFailure.reason(e));
            return EXIT_TEMPORARY;
        }
        Thread forwarder = new Thread(() -> terminate(child), "dnsblenv-terminate-child");
        Runtime.getRuntime().addShutdownHook(forwarder);
        int status = waitFor(child);
        try {
            Runtime.getRuntime().removeShutdownHook(forwarder);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run; the status is still PROGRAM's
        }
        return status;
    }

    private static Optional<DnsblCheck.Listed> check(Map<String, String> env, Consumer<String> log) {
        String dnsbl = env.get("DNSBL");
        if (dnsbl == null || dnsbl.isBlank()) {
            return Optional.empty();
        }
        String remote = env.get("TCPREMOTEIP");
        if (remote == null) {
            return Optional.empty();
        }
        Optional<InetAddress> client = IpLiterals.parse(remote);
        if (client.isEmpty()) {
            log.accept("TCPREMOTEIP '" + remote + "' is not an IP address; not checked");
            return Optional.empty();
        }
        Duration timeout = Duration.ofMillis(timeoutMs(env.get("DNSBL_TIMEOUT"), log));
        DnsblCheck check = new DnsblCheck(DnsblCheck.resolver(env.get("DNSCACHEIP"), timeout, log), timeout, log);
        List<String> zones = List.of(dnsbl.trim().split("\\s+"));
        Optional<DnsblCheck.Listed> listing = check.firstListing(client.get(), remote.trim(), zones);
        listing.ifPresent(l -> log.accept(remote.trim() + " listed in " + l.zone()
                + " (" + l.code().getHostAddress() + ")"));
        return listing;
    }

    static long timeoutMs(String value, Consumer<String> log) {
        if (value == null || value.isBlank()) {
            return DEFAULT_TIMEOUT_MS;
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms > MAX_TIMEOUT_MS) {
                // Beyond what any client waits for the greeting; and far beyond, the deadline's arithmetic overflows.
                log.accept("DNSBL_TIMEOUT: '" + value.trim() + "' is more than " + MAX_TIMEOUT_MS
                        + " ms, longer than a client waits for the greeting; using " + MAX_TIMEOUT_MS);
                return MAX_TIMEOUT_MS;
            }
            if (ms > 0) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        log.accept("DNSBL_TIMEOUT: ignoring '" + value + "' (milliseconds, > 0); using " + DEFAULT_TIMEOUT_MS);
        return DEFAULT_TIMEOUT_MS;
    }

    /**
     * The variable to set: {@code DNSBL_VARNAME} when it is a name a shell variable can have, {@value #DEFAULT_VARNAME}
     * when unset, and none (null), with a line on stderr, for any other name. A name with a space, a '-' or a leading
     * digit can be put in the environment, but /bin/sh drops it from the environment of what it runs, so a PROGRAM
     * behind a shell (a run script, {@code sh -c}) never saw the listing; an '=' would make it another variable.
     * {@value #DEFAULT_VARNAME} is not set instead: the name is often a whitelist's ({@code DNSWL}), and its clients
     * would be marked as blacklisted. greylite 2.3 set nothing either for a name setenv refuses.
     */
    static String varname(String value, Consumer<String> log) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_VARNAME;
        }
        if (!SHELL_NAME.matcher(value).matches()) {
            log.accept("DNSBL_VARNAME: '" + value + "' is no variable's name (letters, digits and '_', not starting"
                    + " with a digit); a listing sets no variable");
            return null;
        }
        return value;
    }

    private static int waitFor(Process child) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return child.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** On our own termination (SIGTERM, SIGINT, SIGHUP): pass SIGTERM on and give PROGRAM a moment. */
    private static void terminate(Process child) {
        if (!child.isAlive()) {
            return;
        }
        child.destroy();
        try {
            child.waitFor(CHILD_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
