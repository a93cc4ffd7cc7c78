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

    /** In the order of the reference page. */
    static final List<Setting<?>> ALL = List.of(TCPREMOTEIP, TCPREMOTEHOST, TCPLOCALHOST, GREYLIST, RELAYCLIENT,
            WHITELISTED, PGPASSWORD, PGPASSFILE);
}
