package org.greylite.settings;

import static org.greylite.settings.Program.GREYLITE;
import static org.greylite.settings.Program.GREYLITECTL;
import static org.greylite.settings.Program.GREYDAEMON;
import static org.greylite.settings.Program.GREYLITED;
import static org.greylite.settings.Program.POLICY;

import java.util.List;

/**
 * The variables that no flag sets: secrets that must stay off command lines, and the facts tcpserver and
 * tcprules hand the wrapper. They are named here so that the reference page lists every variable a
 * program reads, and who reads it.
 */
public final class Variables {

    private Variables() {
    }

    public static final Setting<String> GREYLIST = Setting.builder("GREYLIST", Parsers::text).variableOnly()
            .stage(Stage.GREYLISTING).variable("GREYLIST", Parsers::set, GREYLITE)
            .doc("Set (any value): the wrapper greylists; unset: PROGRAM gets the connection untouched.").build();

    public static final Setting<String> RELAYCLIENT = Setting.builder("RELAYCLIENT", Parsers::text).variableOnly()
            .stage(Stage.GREYLISTING).variable("RELAYCLIENT", Parsers::set, GREYLITE)
            .doc("Set by tcprules (greylited: by an --access rule): the client's RCPTs are not greylisted.").build();

    public static final Setting<String> WHITELISTED = Setting.builder("WHITELISTED", Parsers::text).variableOnly()
            .stage(Stage.GREYLISTING).variable("WHITELISTED", Parsers::set, GREYLITE)
            .doc("Set by tcprules (greylited: by an --access rule): the client's RCPTs are not greylisted.").build();

    public static final Setting<String> TCPREMOTEIP = Setting.builder("TCPREMOTEIP", Parsers::text).variableOnly()
            .stage(Stage.CONNECTION).variable("TCPREMOTEIP", GREYLITE)
            .doc("Set by tcpserver: the client's address; without a valid one the session is relayed without "
                    + "greylisting, and an error is logged (its session end line names client 0.0.0.0 and counts "
                    + "the recipients it passed on as accepted, as a relay client's does).").build();

    public static final Setting<String> TCPREMOTEHOST = Setting.builder("TCPREMOTEHOST", Parsers::text).variableOnly()
            .stage(Stage.CONNECTION).variable("TCPREMOTEHOST", GREYLITE)
            .doc("Set by tcpserver: the client's PTR name, for r lines, known senders and the client key; used only "
                    + "when its A/AAAA records include TCPREMOTEIP (looked up through $DNSCACHEIP), in lower case.").build();

    public static final Setting<String> TCPLOCALHOST = Setting.builder("TCPLOCALHOST", Parsers::text).variableOnly()
            .stage(Stage.CONNECTION).variable("TCPLOCALHOST", GREYLITE)
            .doc("Set by tcpserver: the name in the wrapper's own 421 replies (default, and when it is 0, as "
                    + "tcpserver -l0 sets it: the kernel's host name).")
            .build();

    public static final Setting<String> PGPASSWORD = Setting.builder("PGPASSWORD", Parsers::text).variableOnly()
            .stage(Stage.STORE).variable("PGPASSWORD", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .doc("Password of a PostgreSQL greydb (a password in the --db URL is refused: command lines are "
                    + "visible in ps).").build();

    public static final Setting<String> PGPASSFILE = Setting.builder("PGPASSFILE", Parsers::text).variableOnly()
            .stage(Stage.STORE).variable("PGPASSFILE", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .doc("File of PostgreSQL passwords, lines host:port:database:user:password, mode 0600, read when "
                    + "PGPASSWORD is not set (default ~/.pgpass).").build();

    /**
     * One of libpq's variables that fill what a postgresql:// greydb URL leaves out, as psql reads them
     * ({@code org.greylite.store.LibpqEnvironment}, which takes them).
     */
    private static Setting<String> libpq(String name, String parameter, String meaning) {
        return Setting.builder(name, Parsers::text).variableOnly().stage(Stage.STORE)
                .variable(name, GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
                .doc(meaning + ", where a postgresql:// --db URL gives none (libpq's " + parameter + ", as psql reads it;"
                        + " the URL wins).").build();
    }

    public static final Setting<String> PGHOST = libpq("PGHOST", "host", "PostgreSQL server(s), HOST1,HOST2... (a unix"
            + " socket's directory is refused: the driver connects over TCP only)");
    public static final Setting<String> PGHOSTADDR = Setting.builder("PGHOSTADDR", Parsers::text).variableOnly()
            .stage(Stage.STORE).variable("PGHOSTADDR", GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
            .doc("libpq's hostaddr: refused, as in a postgresql:// --db URL, unless the URL names its host; write the"
                    + " address as the host.").build();
    public static final Setting<String> PGPORT = libpq("PGPORT", "port", "PostgreSQL port, one for all servers or one"
            + " each");
    public static final Setting<String> PGDATABASE = libpq("PGDATABASE", "dbname", "PostgreSQL database (else the user)");
    public static final Setting<String> PGUSER = libpq("PGUSER", "user", "PostgreSQL role (else the login name)");
    public static final Setting<String> PGOPTIONS = libpq("PGOPTIONS", "options", "Server options, -c NAME=VALUE");
    public static final Setting<String> PGAPPNAME = libpq("PGAPPNAME", "application_name", "Name shown in"
            + " pg_stat_activity (else greylite)");
    public static final Setting<String> PGSSLMODE = libpq("PGSSLMODE", "sslmode", "TLS to the server: disable, allow,"
            + " prefer, require, verify-ca, verify-full");
    public static final Setting<String> PGSSLCERT = libpq("PGSSLCERT", "sslcert", "Client certificate file");
    public static final Setting<String> PGSSLKEY = libpq("PGSSLKEY", "sslkey", "Client certificate's key file");
    public static final Setting<String> PGSSLROOTCERT = libpq("PGSSLROOTCERT", "sslrootcert", "CA file the server's"
            + " certificate is checked against");
    public static final Setting<String> PGSSLNEGOTIATION = libpq("PGSSLNEGOTIATION", "sslnegotiation", "postgres or"
            + " direct TLS negotiation");
    public static final Setting<String> PGCHANNELBINDING = libpq("PGCHANNELBINDING", "channel_binding", "SCRAM channel"
            + " binding: disable, prefer, require");
    public static final Setting<String> PGGSSENCMODE = libpq("PGGSSENCMODE", "gssencmode", "GSSAPI encryption:"
            + " disable, prefer, require");
    public static final Setting<String> PGCONNECT_TIMEOUT = libpq("PGCONNECT_TIMEOUT", "connect_timeout", "Seconds"
            + " connecting to each server may take (0: no limit; 1 is taken as 2)");
    public static final Setting<String> PGTARGETSESSIONATTRS = libpq("PGTARGETSESSIONATTRS", "target_session_attrs",
            "Which server of several to take: any, read-write, primary, read-only, standby, prefer-standby");

    /** One of the variables naming libpq's service and the files it is looked up in ({@code LibpqServiceFile}). */
    private static Setting<String> service(String name, String meaning) {
        return Setting.builder(name, Parsers::text).variableOnly().stage(Stage.STORE)
                .variable(name, GREYLITED, GREYLITE, GREYLITECTL, POLICY, GREYDAEMON)
                .doc(meaning + " (libpq's, as psql reads it).").build();
    }

    public static final Setting<String> PGSERVICE = service("PGSERVICE", "Service of the service file whose KEY=VALUE"
            + " lines fill what a postgresql:// --db URL leaves out, before the other PG variables (a URL's service="
            + " wins)");
    public static final Setting<String> PGSERVICEFILE = service("PGSERVICEFILE", "The user's service file (default"
            + " ~/.pg_service.conf), looked in before the system's");
    public static final Setting<String> PGSYSCONFDIR = service("PGSYSCONFDIR", "Folder of the system's service file"
            + " pg_service.conf (default /etc/postgresql-common, Debian's)");

    /** In the order of the reference page. */
    static final List<Setting<?>> ALL = List.of(TCPREMOTEIP, TCPREMOTEHOST, TCPLOCALHOST, GREYLIST, RELAYCLIENT,
            WHITELISTED, PGPASSWORD, PGPASSFILE, PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGUSER, PGOPTIONS, PGAPPNAME,
            PGSSLMODE, PGSSLCERT, PGSSLKEY, PGSSLROOTCERT, PGSSLNEGOTIATION, PGCHANNELBINDING, PGGSSENCMODE,
            PGCONNECT_TIMEOUT, PGTARGETSESSIONATTRS, PGSERVICE, PGSERVICEFILE, PGSYSCONFDIR);
}
