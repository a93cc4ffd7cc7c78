package org.greylite.settings;

import static org.greylite.settings.Program.GREYLITE;
import static org.greylite.settings.Program.GREYLITECTL;
import static org.greylite.settings.Program.GREYDAEMON;
import static org.greylite.settings.Program.GREYLITED;
import static org.greylite.settings.Program.POLICY;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.relay.RcptOrder;
import org.greylite.relay.Replies;

/**
 * Every setting of every program, declared once ({@link Setting}), in the order of the reference page:
 * greylited's {@code --help}, its configuration file and {@code --print-config}, {@code docs/configuration.md}
 * and the wrapper's environment are all read from here. A program picks its settings by constant
 * ({@code Settings.MIN_DELAY}) or by name ({@link #byName}), and reads their values through
 * {@link EnvironmentSettings} (environment only) or greylited's command line (flags first).
 *
 * <p>Descriptions follow picocli's convention because greylited's help shows them as written: the default
 * is stated once, as a parenthetical starting with {@code (default}, where {@code ${DEFAULT-VALUE}} is the
 * declared default.
 */
public final class Settings {

    private Settings() {
    }

    // ---- Connection

    public static final Setting<String> LISTEN = Setting.builder("listen", Parsers::text)
            .label("HOST:PORT").stage(Stage.CONNECTION).defaultValue("127.0.0.1:2525")
            .doc("Address to accept SMTP clients on: 0.0.0.0:25 takes IPv4 clients alone, [::]:25 those of both "
                    + "families (default ${DEFAULT-VALUE}).").build();

    public static final Setting<List<String>> ACCEPT_PROXY_PROTOCOL = Setting.builder("accept-proxy-protocol", Parsers::list)
            .label("CIDR").stage(Stage.CONNECTION)
            .doc("Behind a load balancer: a connection from these addresses or blocks (e.g. "
                    + "10.0.0.0/8,192.0.2.7) must begin with a PROXY protocol header, v1 or v2 (HAProxy's send-proxy), "
                    + "and the client it names is the one greylisted, checked against --access, looked up, logged and "
                    + "passed upstream; v2 LOCAL (health checks) and v1 UNKNOWN leave the load balancer as the client. "
                    + "A missing, bad or late (5s) header closes the connection without a reply. From any other "
                    + "address a header is not believed: the connection is its own client, and a PROXY line gets 550 "
                    + "like any command a client may not send (a v2 header gets 550 and the connection closed) "
                    + "(default: none).").build();

    public static final Setting<Path> ACCESS = Setting.builder("access", Parsers::path)
            .label("FILE").stage(Stage.CONNECTION)
            .doc("Access rules in tcprules' text format (e.g. /etc/tcp.smtp): '1.2.3.:allow,RELAYCLIENT=\"\"' "
                    + "sets variables for a client's session, 'deny' refuses it with 554; the most specific address "
                    + "wins. Reloaded when it changes and on SIGHUP.").build();

    public static final Setting<List<String>> DNS = Setting.builder("dns", Parsers::list)
            .label("IP[:PORT]").stage(Stage.CONNECTION).variable("DNSCACHEIP", GREYLITED, POLICY, GREYLITE)
            .doc("DNS resolver for the clients' PTR names and DNS whitelist lookups; repeat, or separate by commas or spaces, for "
                    + "more than one (default $DNSCACHEIP, space-separated, else the system's).").build();

    public static final Setting<List<String>> DNSWL = Setting.builder("dnswl", Parsers::list)
            .label("ZONE[=THRESHOLD]").stage(Stage.CONNECTION)
            .doc("DNS whitelist: a client listed in ZONE with a trust level (the answer's last octet, as "
                    + "list.dnswl.org encodes it) of at least THRESHOLD (default 0) is not greylisted. Repeatable.").build();

    public static final Setting<Duration> PTR_TIMEOUT = Setting.builder("ptr-timeout", Parsers::millisOrDuration)
            .label("DURATION").stage(Stage.CONNECTION).defaultValue("5s")
            .doc("Bound on a client's PTR lookup and its forward confirmation, which run while the session "
                    + "goes on; a RCPT waits for it at most this long. 0 turns lookups off: r lines then see "
                    + "the client's name as empty, unless Postfix's request to greylite-policy names it (default "
                    + "${DEFAULT-VALUE}; 500ms works too).").build();

    public static final Setting<Integer> MAX_LINE = Setting.builder("max-line", Parsers::lineLimit)
            .label("BYTES").stage(Stage.CONNECTION).variable("GREYLITE_MAX_LINE", GREYLITED, GREYLITE)
            .defaultValue("4096")
            .doc("Longest command line accepted; longer ones get 500 5.5.2 (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> JUNK_COMMAND_LIMIT = Setting.builder("junk-command-limit", Parsers::limit)
            .label("N").stage(Stage.CONNECTION).variable("GREYLITE_JUNK_COMMAND_LIMIT", GREYLITED, GREYLITE)
            .defaultValue("100")
            .doc("Junk commands a session may send (NOOP, RSET, VRFY, EXPN, ETRN, HELP, HELO/EHLO, AUTH, "
                    + "STARTTLS, unknown verbs, lines refused as too long or garbled, MAIL/RCPT without a readable "
                    + "address) before it gets 421 4.7.0 and is closed; 0: no limit (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Duration> IDLE_TIMEOUT = Setting.builder("idle-timeout", Parsers::positiveDuration)
            .label("DURATION").stage(Stage.CONNECTION).variable("GREYLITE_IDLE_TIMEOUT", GREYLITED, GREYLITE)
            .defaultValue("5m")
            .doc("A client silent this long while the proxy waits for it gets 421 (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Duration> SESSION_DEADLINE = Setting.builder("session-deadline", Parsers::duration)
            .label("DURATION").stage(Stage.CONNECTION).variable("GREYLITE_SESSION_DEADLINE", GREYLITED, GREYLITE)
            .defaultValue("10m")
            .doc("How long a session may last in all, however busy the client keeps it (one byte a second is never "
                    + "idle), before it gets 421 4.7.0 and is closed; mid-message the upstream connection is dropped "
                    + "so the upstream discards the partial message; 0: no deadline (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> CLIENT_CONNECTION_LIMIT = Setting.builder("client-connection-limit", Parsers::limit)
            .label("N").stage(Stage.CONNECTION).defaultValue("50")
            .doc("Sessions one client address may have open at once; one more gets 421 4.7.0 before the upstream "
                    + "is connected (Postfix's smtpd_client_connection_count_limit); 0: no limit "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> CLIENT_CONNECTION_IPV6_PREFIX = Setting.builder("client-connection-ipv6-prefix",
                    Parsers::ipv6Prefix)
            .label("BITS").stage(Stage.CONNECTION).defaultValue("84")
            .doc("IPv6 clients count toward --client-connection-limit by their network of this prefix length, not "
                    + "by address: a host given a /64 has more addresses than any limit (Postfix 3.8's "
                    + "smtpd_client_ipv6_prefix_length); 128: each address apart (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> CONNECTION_LIMIT = Setting.builder("connection-limit", Parsers::limit)
            .label("N").stage(Stage.CONNECTION).defaultValue("1000")
            .doc("Sessions open at once in all; one more gets 421 4.3.2 before the upstream is connected. Each "
                    + "session takes two file descriptors; 0: no limit (default ${DEFAULT-VALUE}).").build();

    public static final Setting<String> HOSTNAME = Setting.builder("hostname", Parsers::text)
            .label("NAME").stage(Stage.CONNECTION).variable("HOSTNAME", GREYLITED)
            .doc("Name the proxy gives in its own 421 replies, and in the EHLO it says to the upstream on its own "
                    + "account (--upstream-tls starttls; --upstream-xclient, for a client that greets without a "
                    + "name) (default: the local host name).").build();

    public static final Setting<Integer> IO_THREADS = Setting.builder("io-threads", Parsers::positiveInt)
            .label("N").stage(Stage.CONNECTION)
            .doc("Network threads, each carrying both connections of its sessions (default: one per core, "
                    + "as HAProxy's; fewer leave more CPU to a mail server on the same host).").build();

    public static final Setting<Duration> STOP_GRACE = Setting.builder("stop-grace", Parsers::duration)
            .label("DURATION").stage(Stage.CONNECTION).defaultValue("30s")
            .doc("On SIGTERM, how long sessions in a transaction may take to finish; sessions with nothing under "
                    + "way are told 421 4.3.2 at once, the others when their transaction ends, or when the grace "
                    + "period does (default ${DEFAULT-VALUE}).").build();

    // ---- Greeting

    public static final Setting<Long> GREET_DELAY = Setting.builder("greet-delay", Parsers::millis)
            .label("MS").stage(Stage.GREETING).variable("GREETDELAY", Parsers::greetDelay, GREYLITED, GREYLITE)
            .defaultValue("0")
            .doc("Hold the greeting this long, without connecting upstream; 0 disables (default ${DEFAULT-VALUE}; "
                    + "$GREETDELAY set turns it on: its value if a positive integer, else 6000).").build();

    // ---- TLS

    public static final Setting<Path> TLS_CERT = Setting.builder("tls-cert", Parsers::path)
            .label("FILE").stage(Stage.TLS)
            .doc("greylited's certificate, PEM, with its chain after it (certbot's fullchain.pem). With --tls-key, "
                    + "clients are offered STARTTLS, and greylited terminates TLS itself to greylist on the decrypted "
                    + "envelope; without them STARTTLS is not offered (a client's STARTTLS gets 454).").build();

    public static final Setting<Path> TLS_KEY = Setting.builder("tls-key", Parsers::path)
            .label("FILE").stage(Stage.TLS)
            .doc("The certificate's private key, PEM, unencrypted: PKCS#8 (BEGIN PRIVATE KEY) or the "
                    + "traditional RSA or EC form. Read at start and again on SIGHUP (new sessions get the renewed "
                    + "certificate).").build();

    // ---- Suspicion

    public static final Setting<Path> SUSPICION = Setting.builder("suspicion", Parsers::path)
            .label("FILE").stage(Stage.SUSPICION).variable("SUSPICION", GREYLITED, GREYLITE, POLICY, GREYDAEMON)
            .doc("Suspicion rules file (default $SUSPICION); reloaded when it changes and on SIGHUP.").build();

    public static final Setting<Path> GEOIP_DB = Setting.builder("geoip-db", Parsers::path)
            .label("FILE").stage(Stage.SUSPICION).variable("GEOIPDB_FILE", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .doc("GeoIP country database for g lines, legacy .dat or MaxMind .mmdb "
                    + "(default $GEOIPDB_FILE, else /usr/local/share/GeoIP/GeoIP.dat); read again on SIGHUP. A file "
                    + "that is neither (a legacy .dat needs its structure marker, a trie that fits its size and "
                    + "countries for a few well-known addresses) is named in a warning, and g lines never match.")
            .build();

    // ---- Greylisting

    public static final Setting<Duration> MIN_DELAY = Setting.builder("min-delay", Parsers::duration)
            .label("DURATION").stage(Stage.GREYLISTING).variable("GREYLITE_MIN_DELAY", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("5m").computedBy(GREYLITECTL)
            .doc("A retry sooner than this after the last refusal is refused again, uncounted "
                    + "(default ${DEFAULT-VALUE}). 0 gives greylite 2.3's count-only behaviour.").build();

    public static final Setting<Duration> RETRY_WINDOW = Setting.builder("retry-window", Parsers::duration)
            .label("DURATION").stage(Stage.GREYLISTING).variable("GREYLITE_RETRY_WINDOW", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("24h").defaultFor(GREYDAEMON, "12h").computedBy(GREYLITECTL)
            .doc("A triplet that has not passed is forgotten this long after its first attempt "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Duration> WHITELIST_LIFETIME = Setting.builder("whitelist-lifetime", Parsers::duration)
            .label("DURATION").stage(Stage.GREYLISTING).variable("GREYLITE_WHITELIST_LIFETIME", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("36d").defaultFor(GREYDAEMON, "7d").computedBy(GREYLITECTL)
            .doc("Passed triplets and auto-whitelisted clients are kept this long after their last delivery "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> MAX_PENDING = Setting.builder("max-pending", Parsers::limit)
            .label("N").stage(Stage.GREYLISTING).variable("GREYLITE_MAX_PENDING", GREYLITED, GREYLITE, POLICY, GREYDAEMON)
            .defaultValue("1000")
            .doc("Pending triplets one client key may have within the retry window: a new triplet beyond them "
                    + "is greylisted without being recorded (reason too-many-pending), so a client cannot fill "
                    + "the greydb. Counted in the greydb at most every 10 s per key, this process's own new triplets "
                    + "added in between; 0: no cap (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> AUTO_WHITELIST_CLIENTS = Setting.builder("auto-whitelist-clients", Parsers::passes)
            .label("N").stage(Stage.GREYLISTING).variable("GREYLITE_AUTO_WHITELIST_CLIENTS", GREYLITED, GREYLITE, POLICY, GREYDAEMON)
            .defaultValue("1")
            .doc("Passed triplets a client key needs before it goes on the auto-whitelist, as postgrey's option of "
                    + "that name counts a client's successful retries: distinct triplets still remembered, so one "
                    + "message retried counts once; a client that matched a suspicion line never goes on it; 0: no "
                    + "auto-whitelisting (default ${DEFAULT-VALUE}: at its first pass).").build();

    public static final Setting<Duration> WHITELIST_MEMORY = Setting.builder("whitelist-memory", Parsers::millisOrDuration)
            .label("DURATION").stage(Stage.GREYLISTING).defaultValue("1s")
            .doc("A client the greydb found on the whitelist is answered from memory for this long, "
                    + "500ms or 2s say, without asking the greydb again (default ${DEFAULT-VALUE}); 0 asks it at "
                    + "every RCPT.").build();

    public static final Setting<ClientKeys> CLIENT_KEY = Setting.builder("client-key", ClientKeys::parse)
            .label("ip|net|smart").stage(Stage.GREYLISTING).variable("GREYLITE_CLIENT_KEY", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("smart").defaultFor(GREYDAEMON, "ip")
            .doc("What identifies a client in triplets and on the auto-whitelist: its exact address (ip), "
                    + "its network, /24 IPv4 or /64 IPv6 (net), or the registrable domain of its confirmed, "
                    + "not dynamic-looking PTR name, else its network (smart) (default ${DEFAULT-VALUE}).").build();

    public static final Setting<RcptOrder> RCPT_ORDER = Setting.builder("rcpt-order", RcptOrder::parse)
            .label("greylist-first|upstream-first").stage(Stage.GREYLISTING)
            .variable("GREYLITE_RCPT_ORDER", GREYLITED, GREYLITE).defaultValue("greylist-first")
            .doc("Who hears a RCPT first. greylist-first: the greylisting decision, and a greylisted RCPT never "
                    + "reaches the upstream. upstream-first: the upstream, whose refusal goes back unchanged and "
                    + "writes nothing in the greydb; only a recipient it accepted is greylisted, and one that must "
                    + "wait leaves the upstream's envelope before DATA (RSET, the same MAIL FROM, the recipients "
                    + "still accepted) (default ${DEFAULT-VALUE}).").build();

    public static final Setting<String> GREYLIST_REPLY = Setting.builder("greylist-reply", Parsers::text)
            .label("TEXT").stage(Stage.GREYLISTING).variable("GREYLITE_GREYLIST_REPLY", GREYLITED, GREYLITE)
            .defaultValue(Replies.DEFAULT_GREYLIST)
            .doc("Reply to a greylisted RCPT; {rcpt} and {seconds} are replaced; 'disguise' picks an ordinary-looking "
                    + "temporary failure at random, as greylite did (default '${DEFAULT-VALUE}').").build();

    public static final Setting<List<Path>> WHITELIST_FILE = Setting.builder("whitelist-file", Parsers::paths)
            .label("FILE").stage(Stage.GREYLISTING).variable("GREYLITE_WHITELIST_FILES", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .doc("Known senders that skip greylisting, one 'suffix|regex|cidr VALUE REASON' per line "
                    + "(repeatable; added to the shipped list of pool senders). Read again on SIGHUP; an edit with a "
                    + "line that does not load keeps the list loaded before.").build();

    public static final Setting<Boolean> NO_SHIPPED_WHITELIST = Setting.builder("no-shipped-whitelist", Parsers::onOff)
            .stage(Stage.GREYLISTING).variable("GREYLITE_NO_SHIPPED_WHITELIST", Parsers::switchOn, GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("false")
            .doc("Leave out the shipped list of known pool senders (examples/whitelist/known-senders.whitelist).").build();

    // ---- Store

    /** greylite(8)'s greydb. */
    public static final String DEFAULT_DBFILE = "/var/db/greylite/greylite.db";

    public static final Setting<String> DB = Setting.builder("db", Parsers::text)
            .label("FILE|URL").stage(Stage.STORE).variable("DBFILE", GREYLITED, GREYLITE, GREYLITECTL, POLICY)
            .defaultValue(DEFAULT_DBFILE).computedBy(GREYLITED)
            .doc("greydb: an SQLite file, created when new, or a PostgreSQL greydb shared by several MX hosts, "
                    + "postgresql://USER@HOST[:PORT]/DATABASE, or a primary and its standbys, "
                    + "postgresql://USER@HOST1[:PORT],HOST2[:PORT]/DATABASE?targetServerType=primary (password from $PGPASSWORD or ~/.pgpass; tables created "
                    + "when missing) (default $DBFILE, else " + DEFAULT_DBFILE + "; greylited in demo mode "
                    + "./greylite-demo.db).").build();

    public static final Setting<Duration> BUSY_TIMEOUT = Setting.builder("busy-timeout", Parsers::positiveDuration)
            .label("DURATION").stage(Stage.STORE).variable("GREYLITE_BUSY_TIMEOUT", GREYLITED, GREYLITE, POLICY, GREYDAEMON)
            .defaultValue("5s")
            // greydaemon's client, the patched qmail-smtpd, waits 3 s for an answer (GREYTIMEOUT): an answer given
            // after a longer wait for a lock comes to nobody, a fail-closed 0,2 included.
            .defaultFor(GREYDAEMON, "2s")
            .doc("How long a greydb operation may wait: for another process's lock (SQLite); for the server, "
                    + "a connection or a lock (PostgreSQL), so an RCPT is not held much longer by a greydb that is down "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> DB_CONNECTIONS = Setting.builder("db-connections", Parsers::positiveInt)
            .label("N").stage(Stage.STORE).defaultValue("8")
            .doc("PostgreSQL greydb: connections in the pool, and RCPTs decided at once (default "
                    + "${DEFAULT-VALUE}). An SQLite greydb uses one.").build();

    public static final Setting<Duration> PURGE_INTERVAL = Setting.builder("purge-interval", Parsers::positiveDuration)
            .label("DURATION").stage(Stage.STORE).defaultValue("10m")
            .doc("How often expired greydb rows are removed (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Boolean> FAIL_CLOSED = Setting.builder("fail-closed", Parsers::onOff)
            .stage(Stage.STORE).variable("GREYLITE_FAIL_CLOSED", Parsers::switchOn, GREYLITED, GREYLITE, POLICY, GREYDAEMON)
            .defaultValue("false")
            .doc("On a greydb error refuse for now instead of accepting the mail (the default fails open): greylited "
                    + "and greylite answer 451, greylite-policy DEFER_IF_PERMIT 4.3.0, greydaemon 0,2.").build();

    // ---- Upstream

    public static final Setting<String> UPSTREAM = Setting.builder("upstream", Parsers::text)
            .label("HOST:PORT").stage(Stage.UPSTREAM)
            .doc("The SMTP server to relay to. Without it, a demo upstream is started.").build();

    public static final Setting<Duration> CONNECT_TIMEOUT = Setting.builder("connect-timeout", Parsers::positiveDuration)
            .label("DURATION").stage(Stage.UPSTREAM).defaultValue("10s")
            .doc("How long to try connecting upstream before the client gets 421 (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Duration> UPSTREAM_TIMEOUT = Setting.builder("upstream-timeout", Parsers::positiveDuration)
            .label("DURATION").stage(Stage.UPSTREAM).variable("GREYLITE_UPSTREAM_TIMEOUT", GREYLITED, GREYLITE)
            .defaultValue("10m")
            .doc("An upstream silent this long while a reply is owed is given up; the client gets 421 "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Duration> GREETING_TIMEOUT = Setting.builder("greeting-timeout", Parsers::duration)
            .label("DURATION").stage(Stage.UPSTREAM).variable("GREYLITE_GREETING_TIMEOUT", GREYLITED, GREYLITE)
            .defaultValue("5m")
            .doc("How long the upstream may take to greet once connected (RFC 5321 4.5.3.2.1), its STARTTLS "
                    + "dialogue included with --upstream-tls; the client then gets 421. --upstream-timeout bounds "
                    + "the other replies; 0: --upstream-timeout bounds the greeting too (default ${DEFAULT-VALUE}).").build();

    public static final Setting<String> UPSTREAM_PROXY_PROTOCOL = Setting.builder("upstream-proxy-protocol", Parsers::text)
            .label("off|v1|v2").stage(Stage.UPSTREAM).defaultValue("off")
            .doc("Send the upstream a PROXY protocol header (HAProxy's, version 1 text or version 2 binary) "
                    + "first on each connection, so it sees the real client address (Postfix: "
                    + "smtpd_upstream_proxy_protocol = haproxy) (default ${DEFAULT-VALUE}).").build();

    public static final Setting<Boolean> UPSTREAM_XCLIENT = Setting.builder("upstream-xclient", Parsers::onOff)
            .stage(Stage.UPSTREAM).defaultValue("false")
            .doc("Tell the upstream the real client (address, confirmed name, HELO) with Postfix's XCLIENT "
                    + "command at the client's first HELO/EHLO (Postfix: smtpd_authorized_xclient_hosts must list "
                    + "this host). A client that greets without a name is introduced as having none "
                    + "(HELO=[UNAVAILABLE]) and gets the upstream's own answer to its greeting. A client the upstream "
                    + "cannot be told of (XCLIENT not offered, or refused) gets 421: the upstream would take it for "
                    + "this host, an address it may trust.").build();

    public static final Setting<String> UPSTREAM_TLS = Setting.builder("upstream-tls", Parsers::text)
            .label("off|starttls").stage(Stage.UPSTREAM).defaultValue("off")
            .doc("starttls: on each upstream connection, say EHLO and STARTTLS and start TLS before the client "
                    + "hears the greeting, so the whole session goes to the upstream encrypted; an upstream that does "
                    + "not offer STARTTLS, or fails the handshake, gets the client a 421 and a log line "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Path> UPSTREAM_TLS_CA = Setting.builder("upstream-tls-ca", Parsers::path)
            .label("FILE").stage(Stage.UPSTREAM)
            .doc("With --upstream-tls starttls: CA certificates (PEM) the upstream's certificate must chain to; "
                    + "it must also name the --upstream host (DNS name or IP address). Without it the upstream's "
                    + "certificate is not checked: encryption without authentication, as fits a next hop of the "
                    + "same site.").build();

    public static final Setting<Path> DEMO_MAIL = Setting.builder("demo-mail", Parsers::path)
            .label("DIR").stage(Stage.UPSTREAM).defaultValue("demo-mail")
            .doc("Demo mode: where the demo upstream saves messages (default ./${DEFAULT-VALUE}).").build();

    // ---- Metrics

    public static final Setting<String> METRICS = Setting.builder("metrics", Parsers::text)
            .label("HOST:PORT").stage(Stage.METRICS).variable("GREYLITE_METRICS", GREYLITED, POLICY, GREYDAEMON)
            .doc("Serve Prometheus metrics at http://HOST:PORT/metrics: connections, sessions, RCPT "
                    + "verdicts by reason, greydb and upstream errors, decision latency; greylite-policy and greydaemon "
                    + "their own requests and answers (default $GREYLITE_METRICS, else off).").build();

    // ---- Logging

    public static final Setting<String> LOG_FORMAT = Setting.builder("log-format", Parsers::text)
            .label("text|json").stage(Stage.LOGGING).variable("GREYLITE_LOG_FORMAT", GREYLITED).defaultValue("text")
            .doc("Log lines as text, or as one JSON object each, the text in formattedMessage "
                    + "(default ${DEFAULT-VALUE}).").build();

    public static final Setting<Integer> LOG_THRESHOLD = Setting.builder("log-threshold", Parsers::logThresholdNumber)
            .label("0-7").stage(Stage.LOGGING).variable("LOGTHRESHOLD", Parsers::logThreshold, GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .defaultValue("6").defaultFor(GREYLITE, "3").defaultFor(GREYLITECTL, "4")
            .doc("Least important messages reported, as syslog priorities: 3 errors, 4 warnings, 6 every "
                    + "decision and session, 7 debug (default $LOGTHRESHOLD, else ${DEFAULT-VALUE}).").build();

    public static final Setting<Boolean> LOG_PID = Setting.builder("log-pid", Parsers::onOff)
            .stage(Stage.LOGGING).variable("LOGPID", Parsers::set, GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON).defaultValue("false")
            .doc("Start each log line with the process id (default: on when $LOGPID is set).").build();

    /** Every setting with a flag, in the order of greylited's help and of the reference page. */
    public static final List<Setting<?>> FLAGS = List.of(LISTEN, UPSTREAM, DB, SUSPICION, ACCESS, ACCEPT_PROXY_PROTOCOL,
            DNS, DNSWL, PTR_TIMEOUT, MIN_DELAY, RETRY_WINDOW, WHITELIST_LIFETIME, MAX_PENDING, AUTO_WHITELIST_CLIENTS, WHITELIST_MEMORY,
            GREET_DELAY,
            CLIENT_KEY, RCPT_ORDER, MAX_LINE, JUNK_COMMAND_LIMIT, IDLE_TIMEOUT, SESSION_DEADLINE, CLIENT_CONNECTION_LIMIT,
            CLIENT_CONNECTION_IPV6_PREFIX,
            CONNECTION_LIMIT, UPSTREAM_TIMEOUT, GREETING_TIMEOUT, CONNECT_TIMEOUT, UPSTREAM_PROXY_PROTOCOL,
            UPSTREAM_XCLIENT, UPSTREAM_TLS, UPSTREAM_TLS_CA, TLS_CERT, TLS_KEY, FAIL_CLOSED, GREYLIST_REPLY, HOSTNAME,
            BUSY_TIMEOUT, DB_CONNECTIONS, PURGE_INTERVAL, STOP_GRACE, IO_THREADS, WHITELIST_FILE, NO_SHIPPED_WHITELIST,
            DEMO_MAIL, GEOIP_DB, METRICS, LOG_FORMAT, LOG_THRESHOLD, LOG_PID);

    /** Every setting: those with a flag, then the variables no flag sets. */
    public static final List<Setting<?>> ALL = java.util.stream.Stream.concat(FLAGS.stream(), Variables.ALL.stream())
            .toList();

    private static final Map<String, Setting<?>> BY_NAME = index();

    private static Map<String, Setting<?>> index() {
        Map<String, Setting<?>> m = new LinkedHashMap<>();
        for (Setting<?> s : ALL) {
            if (m.put(s.name(), s) != null) {
                throw new IllegalStateException("setting " + s.name() + " declared twice");
            }
        }
        return m;
    }

    /** The setting of that name (a flag's long name without {@code --}, or a variable-only setting's variable), or null. */
    public static Setting<?> byName(String name) {
        return BY_NAME.get(name);
    }

    /** The settings whose variable {@code program} reads, in declaration order. */
    public static List<Setting<?>> honouredBy(Program program) {
        return ALL.stream().filter(s -> s.honouredBy(program)).toList();
    }
}
