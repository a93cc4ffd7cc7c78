package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.testing.JavaProgram;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** postgrey's command line, read as postgrey reads it; the engine's defaults where postgrey's differ. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgreyCommandLineTest {

    @TempDir
    Path dir;

    private static GreylitePolicy parse(String... args) {
        return parse(Map.of(), args);
    }

    /** The command line read as greylite-policy reads it, with {@code env} as its environment. */
    private static GreylitePolicy parse(Map<String, String> env, String... args) {
        GreylitePolicy app = new GreylitePolicy(env);
        GreylitePolicy.commandLine(app).parseArgs(args);
        return app;
    }

    @Test
    void debiansDefaultLineGivesTheEnginesDefaults() {
        GreylitePolicy app = parse("--inet=10023");
        assertEquals(new InetSocketAddress("127.0.0.1", 10023), PostgreyValues.inet(app.inet));
        GreylistSettings s = RunningPolicy.settings(app, Map.of());
        assertEquals(GreylistSettings.DEFAULT_MIN_DELAY, s.minDelay());
        assertEquals(GreylistSettings.DEFAULT_RETRY_WINDOW, s.retryWindow());
        assertEquals(GreylistSettings.DEFAULT_WHITELIST_LIFETIME, s.whitelistLifetime());
        assertEquals(ClientKeys.Mode.SMART, s.clientKeys().mode());
    }

    @Test
    void postgreysValuesAreReadInPostgreysUnits() throws Exception {
        GreylistSettings s = RunningPolicy.settings(parse("--inet=0.0.0.0:10023", "--delay=60", "--max-age=10",
                "--retry-window=6h", "--lookup-by-host"), Map.of());
        assertEquals(Duration.ofSeconds(60), s.minDelay());
        assertEquals(Duration.ofDays(10), s.whitelistLifetime());
        assertEquals(Duration.ofHours(6), s.retryWindow());
        assertEquals(ClientKeys.Mode.IP, s.clientKeys().mode());
        assertEquals(Duration.ofDays(2), RunningPolicy.settings(parse("--inet=1", "--retry-window=2"), Map.of()).retryWindow());
        assertEquals("192.0.2.128/25", RunningPolicy.settings(parse("--inet=1", "--lookup-by-subnet", "--ipv4cidr=25"), Map.of())
                .clientKeys().keyFor(java.net.InetAddress.getByName("192.0.2.200")));
        assertEquals(new InetSocketAddress("::1", 10023), PostgreyValues.inet("[::1]:10023"));
    }

    /**
     * postgrey's --retry-window is days, or hours with h, however many digits: 10000 is days as 9999 is, not
     * seconds, and 1000000 days too long, not seconds. Read back from the greydb, where the service records the lifetimes it starts with.
     */
    @Test
    void aBareRetryWindowIsDaysHoweverManyDigitsItHas() throws Exception {
        for (String days : new String[] {"9999", "10000", "36500"}) {
            Path d = java.nio.file.Files.createDirectories(dir.resolve(days));
            TestPolicy.start(d, "--retry-window=" + days).close();
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + d.resolve("greylite.db"));
                 java.sql.ResultSet rs = c.createStatement().executeQuery(
                         "SELECT value FROM greydb_meta WHERE key = 'retry_window'")) {
                assertTrue(rs.next());
                assertEquals(Long.parseLong(days) * 86_400, Long.parseLong(rs.getString(1)), days);
            }
        }
        assertEquals(Duration.ofHours(6), RunningPolicy.settings(parse("--inet=1", "--retry-window=6H"), Map.of()).retryWindow());
        assertEquals("--retry-window: 99999999999999999999 days is too long", assertThrows(IllegalArgumentException.class,
                () -> PostgreyValues.retryWindow("99999999999999999999")).getMessage());
        // past the longest duration of any setting (100 years): refused as days, never taken as seconds
        assertEquals("--retry-window: 1000000 days is too long", assertThrows(IllegalArgumentException.class,
                () -> PostgreyValues.retryWindow("1000000")).getMessage());
    }

    @Test
    void theEnvironmentCountsAndAFlagWins() {
        Map<String, String> env = Map.of("GREYLITE_MIN_DELAY", "2m", "GREYLITE_CLIENT_KEY", "net");
        GreylistSettings s = RunningPolicy.settings(parse(env, "--inet=1"), env);
        assertEquals(Duration.ofMinutes(2), s.minDelay());
        assertEquals(ClientKeys.Mode.NET, s.clientKeys().mode());
        assertEquals(Duration.ofSeconds(30), RunningPolicy.settings(parse(env, "--inet=1", "--min-delay", "30s"), env).minDelay());
        assertEquals(ClientKeys.Mode.IP, RunningPolicy.settings(parse(env, "--inet=1", "--lookup-by-host"), env)
                .clientKeys().mode(), "postgrey's flag wins over GREYLITE_CLIENT_KEY without a contradiction");
        assertEquals(Duration.ofDays(3), RunningPolicy.settings(parse(Map.of("GREYLITE_WHITELIST_LIFETIME", "9d"),
                "--inet=1", "--max-age=3"), Map.of("GREYLITE_WHITELIST_LIFETIME", "9d")).whitelistLifetime(),
                "--max-age wins over the variable without a contradiction");
    }

    @Test
    void theModelsVariablesReachEveryEngineSettingAndItsDefaultsTheRest() {
        Map<String, String> env = Map.of("GREYLITE_FAIL_CLOSED", "1", "GREYLITE_AUTO_WHITELIST_CLIENTS", "3",
                "GREYLITE_MAX_PENDING", "7", "GREYLITE_BUSY_TIMEOUT", "2s", "GREYLITE_METRICS", "127.0.0.1:9799");
        GreylitePolicy app = new GreylitePolicy(env);
        GreylitePolicy.commandLine(app).parseArgs("--inet=1");
        GreylistSettings s = RunningPolicy.settings(app, env);
        assertEquals(false, s.failOpen(), "GREYLITE_FAIL_CLOSED closes without the flag");
        assertEquals(3, s.autoWhitelistPasses());
        assertEquals(7, s.maxPending());
        assertEquals("2s", app.busyTimeout);
        assertEquals("127.0.0.1:9799", app.metrics);
        assertEquals(8, app.dbConnections, "the model's default");
        assertEquals("10m", app.purgeInterval, "the model's default");

        GreylitePolicy flags = new GreylitePolicy(env);
        GreylitePolicy.commandLine(flags).parseArgs("--inet=1", "--auto-whitelist-clients=2", "--max-pending=9",
                "--busy-timeout=1s");
        GreylistSettings f = RunningPolicy.settings(flags, env);
        assertEquals(2, f.autoWhitelistPasses(), "a flag wins over the variable");
        assertEquals(9, f.maxPending());
        assertEquals("1s", flags.busyTimeout);

        // Bare, as in a POSTGREY_OPTS line copied over: postgrey's 5 passes; absent, the engine's first pass.
        assertEquals(5, RunningPolicy.settings(parse("--inet=1", "--auto-whitelist-clients"), Map.of()).autoWhitelistPasses());
        assertEquals(1, RunningPolicy.settings(parse("--inet=1"), Map.of()).autoWhitelistPasses());
        // Given empty, as postgrey reads it (its "ne ''" test): the bare flag, where it was refused and the start stopped.
        assertEquals(5, RunningPolicy.settings(parse("--inet=1", "--auto-whitelist-clients="), Map.of())
                .autoWhitelistPasses());
        assertEquals(0, RunningPolicy.settings(parse("--inet=1", "--auto-whitelist-clients=0"), Map.of())
                .autoWhitelistPasses());
    }

    @Test
    void contradictionsAndBadValuesAreRefusedNamingTheFlag() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunningPolicy.settings(
                parse("--inet=1", "--client-key=ip", "--lookup-by-subnet"), Map.of())).getMessage().contains("--client-key"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunningPolicy.settings(
                parse("--inet=1", "--max-age=3", "--whitelist-lifetime=3d"), Map.of())).getMessage().contains("--max-age"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PostgreyValues.retryWindow("two days"))
                .getMessage().contains("--retry-window"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PostgreyValues.inet("localhost:port"))
                .getMessage().contains("--inet"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PostgreyValues.socketMode("0999"))
                .getMessage().contains("--socketmode"));
        assertThrows(CommandLine.UnmatchedArgumentException.class, () -> parse("--inet=1", "--no-such-flag"));
    }

    @Test
    void withoutAListenerItSaysWhatToGiveAndExits2() {
        StringWriter err = new StringWriter();
        CommandLine cmd = GreylitePolicy.commandLine(new GreylitePolicy(Map.of()));
        cmd.setErr(new PrintWriter(err, true));
        assertEquals(2, cmd.execute("--delay=300"));
        assertTrue(err.toString().contains("--inet=[HOST:]PORT or --unix=PATH must be given"), err.toString());
    }

    @Test
    void postgreysDaemonFlagsAreAcceptedWithAWarningSayingWhatReplacesThem() throws Exception {
        var log = TestPolicy.capture(GreylitePolicy.class);
        try (RunningPolicy p = TestPolicy.start(dir, "--dbdir=/var/lib/postgrey", "--pidfile=/run/postgrey.pid",
                "--user=postgrey", "--group=postgrey", "-d", "--syslog-facility=mail")) {
            String lines = TestPolicy.lines(log);
            for (String flag : new String[] {"--dbdir", "--pidfile", "--user", "--group", "--daemonize", "--syslog-facility"}) {
                assertTrue(lines.contains("postgrey's " + flag + " is accepted and ignored: "), flag + " in:\n" + lines);
            }
            assertTrue(lines.contains("the greydb is --db"), lines);
            // Started as root with --user, as Debian's init script starts postgrey: said as an error, not a note.
            assertEquals(UnprivilegedJava.root(), lines.contains("running as root: postgrey's --user=postgrey switched"),
                    lines);
        }
    }

    @Test
    void helpShowsThePercentPlaceholdersWithoutComplaint() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        String usage;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            usage = GreylitePolicy.commandLine(new GreylitePolicy(Map.of())).getUsageMessage();
        } finally {
            System.setErr(saved);
        }
        assertEquals("", err.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(usage.contains("%s becomes the") && usage.contains("%r the recipient's"), usage);
    }

    @Test
    void helpListsPostgreysIgnoredFlagsInASectionOfTheirOwnWithWhatReplacesEach() {
        String usage = GreylitePolicy.commandLine(new GreylitePolicy(Map.of())).getUsageMessage(CommandLine.Help.Ansi.OFF)
                .replaceAll("\\s+", " ");
        String heading = "postgrey's flags, accepted for compatibility and ignored with a warning, each with what"
                + " replaces it:";
        int section = usage.indexOf(heading);
        assertTrue(section > usage.indexOf("--inet=[HOST:]PORT Listen on TCP"), "a section after the option list:\n" + usage);
        String listed = usage.substring(section);
        for (String flag : new String[] {"--dbdir=DIR", "--pidfile=FILE", "--user=USER", "--group=GROUP", "--facility",
                "--syslogfacility", "--syslog-facility=FACILITY", "-d, --daemonize", "--privacy"}) {
            assertTrue(listed.contains(flag), flag + " in:\n" + listed);
        }
        for (String name : new String[] {"--dbdir", "--pidfile", "--user", "--group", "--syslog-facility", "--daemonize",
                "--privacy"}) {
            assertTrue(usage.indexOf(name) > section, name + " is not in the option list of the flags that act");
        }
        for (String instead : new String[] {"the greydb is --db", "systemd or a supervisor", "systemd's User=",
                "systemd's Group=", "journald or multilog", "stays in the foreground", "clear-text triplets"}) {
            assertTrue(listed.contains(instead), instead + " in:\n" + listed);
        }
        int exim = usage.indexOf("--exim Close each connection after its answer");
        assertTrue(exim > 0 && exim < section, "--exim acts, and is in the option list:\n" + usage);
    }

    @Test
    void theEnginesOptionsAreTheModelsSettingsWithTheirTextAndDefaults() {
        picocli.CommandLine cmd = GreylitePolicy.commandLine(new GreylitePolicy(Map.of()));
        for (String name : List.of("db", "suspicion", "geoip-db", "client-key", "min-delay", "whitelist-lifetime",
                "max-pending", "auto-whitelist-clients", "whitelist-memory", "whitelist-file", "no-shipped-whitelist",
                "metrics", "fail-closed", "busy-timeout", "db-connections", "purge-interval", "ptr-timeout")) {
            picocli.CommandLine.Model.OptionSpec o = cmd.getCommandSpec().findOption("--" + name);
            org.greylite.settings.Setting<?> s = org.greylite.settings.Settings.byName(name);
            String declared = s.defaultValue(org.greylite.settings.Program.POLICY);
            String model = s.description().replace("${DEFAULT-VALUE}", String.valueOf(declared));
            String text = String.join(" ", o.description());
            // postgrey's bare --auto-whitelist-clients adds what it means after the model's text
            assertTrue(text.equals(model) || name.equals("auto-whitelist-clients") && text.startsWith(model + " "),
                    name + "'s text is the model's: " + text);
            if (o.arity().max() > 0) {
                assertEquals(s.defaultValue(org.greylite.settings.Program.POLICY), o.defaultValue(), name);
            }
        }
        picocli.CommandLine.Model.OptionSpec retry = cmd.getCommandSpec().findOption("--retry-window");
        assertTrue(String.join(" ", retry.description()).contains("days (2)"), "postgrey's --retry-window keeps its text");
    }

    /**
     * postgrey's sites write the flag bare (a POSTGREY_OPTS line), and bare it means 5, not the default 1 the entry
     * names: the help must say so, or an administrator reading {@code --auto-whitelist-clients[=N]} has to guess.
     */
    @Test
    void helpSaysWhatAutoWhitelistClientsGivenBareMeans() throws Exception {
        try (JavaProgram p = JavaProgram.start(GreylitePolicy.class, List.of("--help"), env -> { })) {
            assertEquals(0, p.awaitExit(Duration.ofSeconds(30)));
            p.awaitLine("clear-text triplets", Duration.ofSeconds(5));
            String help = p.output().replaceAll("\\s+", " ");
            int entry = help.indexOf("--auto-whitelist-clients[=N] ");
            String text = help.substring(entry, help.indexOf("--exim ", entry));
            assertTrue(text.contains("Given bare or empty: 5, as postgrey's code takes it."), text);
        }
    }
}
