package org.greylite.wrapper;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code greylite PROGRAM [ARG...]}: the greylite(8) UCSPI wrapper, for a tcpserver run script.
 *
 * <p>The client is on descriptors 0 (read) and 1 (write). PROGRAM is the upstream SMTP server, for
 * example {@code /var/qmail/bin/qmail-smtpd}, or {@code ucspi2socket HOST PORT} to put greylisting in
 * front of any SMTP server (greylite(8)'s reverse-proxy mode). There are no options: the environment
 * controls everything (SPEC §4).
 * <pre>
 *   tcpserver -v -R -p -x /etc/tcp.smtp.cdb 0 25 env GREYLIST="" greylite /var/qmail/bin/qmail-smtpd
 * </pre>
 *
 * <h2>With GREYLIST unset</h2>
 * PROGRAM is run on greylite's own descriptors: the connection is handed over untouched, no byte passes
 * through greylite, and the greydb is not opened. (A JVM cannot replace itself with PROGRAM; it waits
 * for it instead.)
 *
 * <h2>With GREYLIST set</h2>
 * PROGRAM runs with pipes on its descriptors 0 and 1 (descriptor 2 and the environment are inherited)
 * and greylite relays the SMTP dialogue between the client and PROGRAM, greylisting each RCPT
 * (SPEC §2, §3). It reads:
 * <dl>
 *   <dt>{@code TCPREMOTEIP}, {@code TCPREMOTEHOST}</dt><dd>the client and its PTR name (tcpserver sets
 *       them). Without a valid TCPREMOTEIP the session is relayed without greylisting, and an error is logged.
 *       The name counts ({@code r} lines, known senders, the {@code smart} client key) only when forward-confirmed:
 *       greylite looks up its A records (AAAA for an IPv6 client) and they must include TCPREMOTEIP, since
 *       tcpserver without {@code -p} passes on whatever the PTR record says. A name that is not confirmed, or
 *       whose lookup takes over 5 s, leaves the client without a name (logged at info). The lookup starts with
 *       the session and only the first RCPT waits for it; a session that skips greylisting does none. Names are
 *       compared in lower case.</dd>
 *   <dt>{@code TCPLOCALHOST}</dt><dd>the name in greylite's own 421 replies (tcpserver sets it); unset, or
 *       {@code 0} as {@code tcpserver -l0} sets it: the kernel's host name.</dd>
 *   <dt>{@code DNSCACHEIP}</dt><dd>the resolvers for that lookup, space-separated {@code IP} or {@code IP:PORT}
 *       (the djbdns convention); unset: the system's ({@code /etc/resolv.conf}).</dd>
 *   <dt>{@code RELAYCLIENT}, {@code WHITELISTED}</dt><dd>either set: no greylisting (the greydb is not opened).</dd>
 *   <dt>{@code DBFILE}</dt><dd>the greydb (default {@code /var/db/greylite/greylite.db}), opened at the first
 *       RCPT that needs it and shared by every greylite process of the site (WAL, 5 s busy timeout); a missing
 *       one is created, without a race when many processes start on it at once (see {@link Decisions}). Or a
 *       PostgreSQL greydb shared by several hosts, {@code postgresql://USER@HOST[:PORT]/DATABASE}.</dd>
 *   <dt>{@code PGPASSWORD}, {@code PGPASSFILE}</dt><dd>the password of a PostgreSQL greydb: PGPASSWORD, else
 *       the line of the file PGPASSFILE names (default {@code ~/.pgpass}); a password in the URL is refused,
 *       as command lines and run scripts are visible to every local user.</dd>
 *   <dt>{@code PGHOST}, {@code PGHOSTADDR}, {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGOPTIONS},
 *       {@code PGAPPNAME}, {@code PGSSLMODE}, {@code PGSSLCERT}, {@code PGSSLKEY}, {@code PGSSLROOTCERT},
 *       {@code PGSSLNEGOTIATION}, {@code PGCHANNELBINDING}, {@code PGGSSENCMODE}, {@code PGCONNECT_TIMEOUT},
 *       {@code PGTARGETSESSIONATTRS}</dt><dd>libpq's defaults for what a {@code postgresql://} DBFILE leaves out, as
 *       psql reads them; the URL wins where it says something.</dd>
 *   <dt>{@code PGSERVICE}, {@code PGSERVICEFILE}, {@code PGSYSCONFDIR}</dt><dd>libpq's service, whose lines of the
 *       service file fill what the DBFILE URL leaves out, and where that file is.</dd>
 *   <dt>{@code SUSPICION}, {@code GEOIPDB_FILE}</dt><dd>the suspicion rules and the GeoIP database of their
 *       {@code g} lines; the whole environment is visible to {@code v} lines (BLACKLISTED, tcprules variables).
 *       A suspicion file that cannot be read is logged and every client gets the default (N = 1).</dd>
 *   <dt>{@code GREETDELAY}</dt><dd>hold the greeting (positive integer: ms; any other value: 6000);
 *       PROGRAM is started only when the delay is over.</dd>
 *   <dt>{@code GREYLITE_MIN_DELAY}, {@code GREYLITE_RETRY_WINDOW}, {@code GREYLITE_WHITELIST_LIFETIME},
 *       {@code GREYLITE_MAX_PENDING}, {@code GREYLITE_AUTO_WHITELIST_CLIENTS},
 *       {@code GREYLITE_CLIENT_KEY}, {@code GREYLITE_GREYLIST_REPLY}, {@code GREYLITE_FAIL_CLOSED},
 *       {@code GREYLITE_BUSY_TIMEOUT}, {@code GREYLITE_MAX_LINE}, {@code GREYLITE_IDLE_TIMEOUT},
 *       {@code GREYLITE_UPSTREAM_TIMEOUT}, {@code GREYLITE_GREETING_TIMEOUT}, {@code GREYLITE_SESSION_DEADLINE},
 *       {@code GREYLITE_JUNK_COMMAND_LIMIT}, {@code GREYLITE_RCPT_ORDER}, {@code GREYLITE_WHITELIST_FILES}, {@code GREYLITE_NO_SHIPPED_WHITELIST}</dt>
 *       <dd>greylited's settings of the same names, with greylited's defaults: every variable, its meaning and
 *       default are declared once in {@link org.greylite.settings.Settings} and read through
 *       {@link org.greylite.settings.EnvironmentSettings}. A malformed value refuses every connection with 421
 *       and a line on stderr naming the variable.</dd>
 *   <dt>{@code LOGTHRESHOLD}, {@code LOGPID}</dt><dd>logging on stderr, as greylite(8): 0-3 errors only
 *       (the default, 3), 4 warnings, 5-6 also one line per decision, 7 debug (any other value is ignored,
 *       with a line saying so; the connection goes on); in greylited's line format,
 *       written by a small SLF4J provider of this module ({@link StderrLogging}: logback's start-up would
 *       cost every connection).</dd>
 * </dl>
 * Timeouts are greylited's: a client silent for 5 minutes (GREYLITE_IDLE_TIMEOUT) while greylite waits for it
 * gets {@code 421 4.4.2}; PROGRAM silent for 10 minutes (GREYLITE_UPSTREAM_TIMEOUT) while it owes a reply, or
 * 5 minutes (GREYLITE_GREETING_TIMEOUT) before its greeting, or unable to start, or gone mid-session: the client
 * gets {@code 421 4.3.0}. A session still open after 10 minutes (GREYLITE_SESSION_DEADLINE) gets
 * {@code 421 4.7.0}; mid-message PROGRAM is killed, so it delivers no part of it. The cap on concurrent sessions is
 * tcpserver's ({@code -c}), since each connection is a process of its own that knows nothing of the others. Everything else is the engine's
 * default, as in greylited without flags. Expired rows of an SQLite greydb are purged at most every
 * 10 minutes, by the first greylite process to finish a session after that (tracked as
 * {@code last_purge} in {@code greydb_meta}), never while a client waits for a reply; a shared PostgreSQL
 * greydb is left to greylited or to {@code greylitectl db purge} from cron.
 *
 * <h2>End of the session, exit status</h2>
 * When the session is over (QUIT answered, either side gone, a 421), greylite writes the last replies,
 * ends the connection (descriptor 1 closed, the socket shut down for sending, so the client sees the end at once
 * whatever PROGRAM still does), closes PROGRAM's input and waits for PROGRAM: 10 s, then SIGTERM, then after 2 s
 * SIGKILL. When the client vanishes in the middle of a message, PROGRAM gets SIGTERM at once, so that it
 * never completes a partial message. greylite exits with PROGRAM's status (128 plus the signal number when
 * a signal ended it, including one greylite sent); 111 when PROGRAM cannot be started (the client gets
 * 421) or the configuration is broken; 100 for a usage error (no PROGRAM: greylite has no SMTP server of
 * its own to fall back on). On SIGTERM greylite tells the client {@code 421 4.3.2 HOST service shutting
 * down, closing connection} (a message under way is dropped, never completed) and passes SIGTERM on to PROGRAM.
 *
 * <p>Nothing but SMTP is ever written to descriptor 1: {@code System.out} is pointed at stderr before
 * anything else runs.
 */
public final class Greylite {

    static final int EXIT_USAGE = 100;
    static final int EXIT_TEMPORARY = 111;

    private Greylite() {
    }

    public static void main(String[] args) {
        PrintStream err = System.err;
        System.setOut(err); // descriptor 1 is the client: no library may print there
        selectLogging();
        // exit, not halt: a thread blocked reading descriptor 0 does not hold exit up, and the shutdown
        // hooks delete what sqlite-jdbc extracted into /tmp if it had to (bin/greylite points it at a
        // copy made by the build; without one, halt would leave two files in /tmp per connection).
        System.exit(run(args, System.getenv(), err));
    }

    /**
     * The wrapper's own SLF4J provider ({@link StderrLogging}), unless the administrator chose one with
     * {@code -Dslf4j.provider} in JAVA_OPTS; and no "SLF4J(I): ..." line in every connection's log.
     */
    static void selectLogging() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", StderrLogging.class.getName());
        }
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
    }

    static int run(String[] args, Map<String, String> env, PrintStream err) {
        if (args.length == 0 || args[0].isEmpty()) {
            err.println("greylite: usage: greylite PROGRAM [ARG...]  (e.g. greylite /var/qmail/bin/qmail-smtpd,"
                    + " or greylite ucspi2socket HOST PORT); settings come from the environment");
            err.flush();
            return EXIT_USAGE;
        }
        List<String> command = Arrays.asList(args);
        if (!env.containsKey("GREYLIST")) {
            return handOver(command, err);
        }
        try {
            return new WrapperSession(command, env, new FileInputStream(FileDescriptor.in),
                    new FileOutputStream(FileDescriptor.out), err, Clock.systemUTC(), ClientConnectionEnd.inherited()).run();
        } catch (InterruptedException e) {
            return EXIT_TEMPORARY;
        }
    }

    /** GREYLIST unset: PROGRAM gets the connection itself; greylite only waits for its status. */
    static int handOver(List<String> command, PrintStream err) {
        Process child;
        try {
            child = Program.startInheriting(command);
        } catch (IOException e) {
            err.println("greylite: " + e.getMessage());
            err.flush();
            return EXIT_TEMPORARY;
        }
        Thread forwarder = new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
            }
        }, "greylite-terminate-program");
        Runtime.getRuntime().addShutdownHook(forwarder);
        while (true) {
            try {
                return child.waitFor(); // 128 plus the signal number when a signal ended it
            } catch (InterruptedException e) {
                // nothing interrupts the main thread; keep waiting for PROGRAM
            }
        }
    }
}
