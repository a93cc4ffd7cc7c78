package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.daemon.config.ConfigFile;
import org.greylite.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited's settings from the command line, the configuration file and the environment: precedence,
 * {@code --print-config}, and errors that point at the configuration file's line.
 */
class GreylitedCommandTest {

    private static final Pattern SETTING = Pattern.compile("^(#?)([a-z0-9-]+) =\\s*(.*?)\\s+# (.*)$");

    @TempDir
    Path dir;

    /** What a run printed and returned. */
    private record Run(int status, String out, String err, Greylited app) {

        /** print-config's lines: name to {value, source}; an unset setting has a null value. */
        Map<String, String[]> settings() {
            Map<String, String[]> m = new LinkedHashMap<>();
            for (String line : out.split("\n")) {
                Matcher x = SETTING.matcher(line);
                if (x.matches() && !line.startsWith("# ")) {
                    m.put(x.group(2), new String[] {x.group(1).isEmpty() ? x.group(3) : null, x.group(4)});
                }
            }
            return m;
        }
    }

    private static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Greylited app = new Greylited(env);
        int status = GreylitedCommand.execute(app, env, args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString(), app);
    }

    private Path config(String... lines) throws Exception {
        return Files.write(dir.resolve("greylited.conf"), List.of(lines));
    }

    @Test
    void printConfigReadsEveryValueAsTheStartWouldAndReportsTheFirstBadOne() throws Exception {
        Run r = run(Map.of(), "--print-config", "--min-delay", "5x");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: --min-delay: bad unit 'x' in duration '5x'; use s, m, h, d or w", r.err().strip());
        assertTrue(r.out().contains("min-delay = 5x"), "the listing still shows what was given: " + r.out());

        Path conf = config("retry-window = 1m");
        r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertTrue(r.err().contains("must be longer than min-delay"), r.err());

        assertEquals(0, run(Map.of(), "--print-config", "--min-delay", "5m").status());
    }

    /**
     * A duration past what the time arithmetic can count was taken: a whitelist lifetime of 999999999999999999 s
     * made every retry of a passed triplet fail with 451 4.3.0, a busy timeout or session deadline that long
     * stopped the start with "long overflow", naming nothing.
     */
    @Test
    void aDurationPastAHundredYearsIsRefusedByName() {
        for (String flag : List.of("--whitelist-lifetime", "--retry-window", "--busy-timeout", "--session-deadline")) {
            Run r = run(Map.of(), "--print-config", flag, "999999999999999999");
            assertEquals(GreylitedCommand.USAGE, r.status(), flag + ": " + r.err());
            assertTrue(r.err().contains("greylited: " + flag + ": duration '999999999999999999' is too long"), r.err());
        }
    }

    /**
     * Values the start checks beyond their own parsing (a range, a reply's code, addresses against each other) were
     * printed by --print-config with exit status 0, and then refused by the start: a check before a restart passed
     * a configuration that would not start.
     */
    @Test
    void printConfigRefusesWhatTheStartWouldRefuse() throws Exception {
        List<List<String>> bad = List.of(List.of("--log-threshold", "8"), List.of("--log-format", "xml"),
                List.of("--greylist-reply", "250 2.1.5 Ok"), List.of("--upstream", "127.0.0.1:0"),
                List.of("--upstream-tls", "maybe"), List.of("--upstream-proxy-protocol", "v3"),
                List.of("--listen", "127.0.0.1:2525", "--metrics", "127.0.0.1:2525"),
                List.of("--listen", "127.0.0.1:2525", "--upstream", "127.0.0.1:2525"));
        for (List<String> values : bad) {
            List<String> args = new java.util.ArrayList<>(values);
            args.add("--print-config");
            Run r = run(Map.of(), args.toArray(String[]::new));
            assertEquals(GreylitedCommand.USAGE, r.status(), values + ": " + r.err());
            assertTrue(r.err().startsWith("greylited: " + values.get(values.size() - 2)), values + ": " + r.err());
        }
    }

    @Test
    void flagBeatsConfigFileBeatsEnvironmentBeatsDefault() throws Exception {
        Path conf = config(
                "# a service's settings",
                "upstream = 127.0.0.1:10025",
                "min-delay = 7m",
                "retry-window = 2h",
                "max-line = 5000",
                "fail-closed = yes",
                "dns = 192.0.2.1 192.0.2.2");
        Map<String, String> env = Map.of(
                "GREYLITE_MIN_DELAY", "1m",          // the file wins
                "GREYLITE_WHITELIST_LIFETIME", "10d", // only here: used
                "GREETDELAY", "",                     // set: on, greylite(8)'s default delay
                "LOGPID", "",
                "LOGTHRESHOLD", "debug");             // not a priority: ignored, as greylite(8) does
        Run r = run(env, "--config", conf.toString(), "--max-line", "6000", "--print-config");
        assertEquals(0, r.status(), r.err());

        // The fields hold the layered values...
        Greylited app = r.app();
        assertEquals("127.0.0.1:10025", app.settings().held(Settings.UPSTREAM));
        assertEquals("7m", app.settings().held(Settings.MIN_DELAY));
        assertEquals("2h", app.settings().held(Settings.RETRY_WINDOW));
        assertEquals("10d", app.settings().held(Settings.WHITELIST_LIFETIME));
        assertEquals(6000, app.settings().held(Settings.MAX_LINE));
        assertTrue((boolean) app.settings().held(Settings.FAIL_CLOSED));
        assertEquals(6000L, app.settings().held(Settings.GREET_DELAY));
        assertEquals(List.of("192.0.2.1", "192.0.2.2"), app.settings().held(Settings.DNS));
        assertTrue((boolean) app.settings().held(Settings.LOG_PID));
        assertEquals(6, app.settings().held(Settings.LOG_THRESHOLD));
        assertEquals("5m", app.settings().held(Settings.IDLE_TIMEOUT));

        // ...and --print-config says where each came from.
        Map<String, String[]> s = r.settings();
        String where = conf + ":";
        assertSetting(s, "upstream", "127.0.0.1:10025", "config " + where + "2");
        assertSetting(s, "min-delay", "7m", "config " + where + "3");
        assertSetting(s, "max-line", "6000", "flag");
        assertSetting(s, "fail-closed", "true", "config " + where + "6");
        assertSetting(s, "dns", "192.0.2.1 192.0.2.2", "config " + where + "7");
        assertSetting(s, "whitelist-lifetime", "10d", "env GREYLITE_WHITELIST_LIFETIME");
        assertSetting(s, "greet-delay", "6000", "env GREETDELAY");
        assertSetting(s, "log-pid", "true", "env LOGPID");
        assertSetting(s, "log-threshold", "6", "default");
        assertSetting(s, "idle-timeout", "5m", "default");
        assertEquals(null, s.get("db")[0], "not set: " + String.join(" ", s.get("db")));
        assertTrue(s.get("db")[1].contains("not set (default: $DBFILE"), s.get("db")[1]);
        assertFalse(s.containsKey("config"), "command-line-only options are not settings");
        assertFalse(s.containsKey("print-config"));
    }

    private static void assertSetting(Map<String, String[]> s, String name, String value, String source) {
        String[] v = s.get(name);
        assertTrue(v != null, "no line for " + name + " in " + s.keySet());
        assertEquals(value, v[0], name);
        assertEquals(source, v[1], name);
    }

    @Test
    void printConfigOutputIsAConfigurationFile() throws Exception {
        Run first = run(Map.of("DBFILE", "/srv/greylite/greylite.db", "GREYLITE_MIN_DELAY", "1m"),
                "--upstream", "127.0.0.1:10025", "--greylist-reply", "451 4.7.1 <{rcpt}>: wait #2 ${x}",
                "--dns", "192.0.2.1,192.0.2.2", "--print-config");
        assertEquals(0, first.status(), first.err());
        Path saved = Files.writeString(dir.resolve("saved.conf"), first.out());
        ConfigFile.read(saved); // parses

        Run second = run(Map.of(), "--config", saved.toString(), "--print-config");
        assertEquals(0, second.status(), second.err());
        Map<String, String[]> a = first.settings();
        Map<String, String[]> b = second.settings();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertEquals(a.get(name)[0], b.get(name)[0], name);
        }
        assertEquals("451 4.7.1 <{rcpt}>: wait #2 ${x}", second.app().settings().held(Settings.GREYLIST_REPLY), "values are literal, not expanded");
        assertEquals("/srv/greylite/greylite.db", second.app().settings().held(Settings.DB).toString());
        assertTrue(b.get("db")[1].startsWith("config " + saved + ":"), b.get("db")[1]);
    }

    @Test
    void theServiceExampleIsAValidConfiguration() throws Exception {
        Path examples = ConfigurationReferenceTest.repositoryRoot().resolve("examples").resolve("systemd");
        Path conf = examples.resolve("greylited.conf");
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(0, r.status(), r.err());
        Map<String, String[]> s = r.settings();
        assertEquals("0.0.0.0:25", s.get("listen")[0]);
        assertEquals("127.0.0.1:10025", s.get("upstream")[0]);
        assertEquals("/var/lib/greylite/greylite.db", s.get("db")[0]);
        assertTrue(s.get("metrics")[1].startsWith("config " + conf + ":"), s.get("metrics")[1]);
        String unit = Files.readString(examples.resolve("greylited.service"));
        assertTrue(unit.contains("greylited --config /etc/greylite/greylited.conf"), "the unit reads the example's path");
        assertTrue(unit.contains("StateDirectory=greylite"), "the greydb's folder /var/lib/greylite");
    }

    @Test
    void configurationFileErrorsNameTheFileAndLine() throws Exception {
        Path conf = config("listen = 127.0.0.1:2525", "lisen = 0.0.0.0:25");
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertEquals("greylited: " + conf + ":2: unknown setting 'lisen' (settings are greylited's flags without --; "
                + "'greylited --help' lists them)", r.err().strip());

        conf = config("", "listen = 127.0.0.1:2525", "listen = 127.0.0.1:2526");
        r = run(Map.of(), "--config", conf.toString());
        assertEquals("greylited: " + conf + ":3: 'listen' is already set on line 2", r.err().strip());

        conf = config("config = /etc/other.conf");
        r = run(Map.of(), "--config", conf.toString());
        assertEquals("greylited: " + conf + ":1: 'config' can only be given on the command line", r.err().strip());

        conf = config("fail-closed = maybe");
        r = run(Map.of(), "--config", conf.toString());
        assertEquals("greylited: " + conf + ":1: fail-closed wants true or false, not 'maybe'", r.err().strip());

        r = run(Map.of(), "--config", dir.resolve("missing.conf").toString());
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertEquals("greylited: " + dir.resolve("missing.conf") + ": cannot read the configuration file: no such file",
                r.err().strip());
    }

    /** A byte that is not UTF-8 (a comment saved in Latin-1) stopped greylited with "not UTF-8 text" and no line. */
    @Test
    void textThatIsNotUtf8IsNamedByItsLine() throws Exception {
        Path conf = Files.write(dir.resolve("latin1.conf"),
                "listen = 127.0.0.1:2525\r\n# G\u00e9rard's server\r\nupstream = 127.0.0.1:10025\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: " + conf + ":2: not UTF-8 text (save the file as UTF-8)", r.err().strip());

        Files.write(conf, "listen = 127.0.0.1:2525\r\n# G\u00e9rard's server\r\nupstream = 127.0.0.1:10025\r\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(0, r.status(), r.err());
        assertEquals("127.0.0.1:10025", r.settings().get("upstream")[0]);
    }

    @Test
    void aBadValueFromTheFileIsReportedWithItsLine() throws Exception {
        Path conf = config("# limits", "max-line = lots");
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertEquals("greylited: " + conf + ":2: Invalid value for option '--max-line': 'lots' is not a number",
                r.err().strip());

        // A number out of the setting's range is found as early, by the setting's own parser.
        conf = config("# limits", "max-line = 100");
        r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertEquals("greylited: " + conf + ":2: Invalid value for option '--max-line': '100' is below 512 bytes,"
                + " the line length RFC 5321 4.5.3.1.4 has servers accept", r.err().strip());

        // The same mistake on the command line is the command line's: picocli's message and where the options are
        // listed, not the whole usage, in which the message scrolled out of sight.
        r = run(Map.of(), "--max-line", "lots", "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertEquals("greylited: Invalid value for option '--max-line': 'lots' is not a number\n"
                + "greylited --help lists the options.", r.err().strip().replace("\r\n", "\n"));

        // A value checked when greylited starts.
        conf = config("upstream = 127.0.0.1:10025", "client-key = street");
        r = run(Map.of(), "--config", conf.toString());
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertTrue(r.err().startsWith("greylited: " + conf + ":2: --client-key: "), r.err());
        assertTrue(r.err().contains("'street'"), r.err());

        // A flag given on the command line wins, so the file's line is not to blame.
        r = run(Map.of(), "--config", conf.toString(), "--client-key", "road");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertFalse(r.err().contains(conf + ":2"), r.err());
    }

    /**
     * A bad value of a setting whose name begins with another's ({@code upstream-tls}, {@code upstream}) was blamed on
     * the other's line when that one came first in the file: the administrator was sent to a line that is right.
     */
    @Test
    void aBadValueIsBlamedOnItsOwnLineNotOnASettingWhoseNameBeginsItsName() throws Exception {
        Path conf = config("upstream = 127.0.0.1:10025", "listen = 127.0.0.1:0", "upstream-tls = maybe");
        Run r = run(Map.of(), "--config", conf.toString());
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: " + conf + ":3: --upstream-tls wants off or starttls, not 'maybe'", r.err().strip());

        conf = config("upstream = 127.0.0.1:10025", "listen = 127.0.0.1:0", "upstream-tls-ca = /etc/ssl/ca.pem");
        r = run(Map.of(), "--config", conf.toString());
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: " + conf + ":3: --upstream-tls-ca is only used with --upstream-tls starttls",
                r.err().strip());
    }

    /**
     * --print-config said a bad value from the file without its file and line ("greylited: --min-delay: bad duration"),
     * where the start names them: the check before a restart did not say the start's own line, nor where to look.
     */
    @Test
    void printConfigNamesTheFileAndLineOfABadValueAsTheStartDoes() throws Exception {
        List<String> bad = List.of("min-delay = 5 m", "greylist-reply = 250 2.1.5 Ok", "log-threshold = 9",
                "client-key = street");
        for (String line : bad) {
            Path conf = config("upstream = 127.0.0.1:10025", "listen = 127.0.0.1:0", line);
            Run check = run(Map.of(), "--config", conf.toString(), "--print-config");
            Run start = run(Map.of(), "--config", conf.toString());
            assertEquals(GreylitedCommand.USAGE, check.status(), line + ": " + check.err());
            String name = line.substring(0, line.indexOf(' '));
            assertTrue(check.err().startsWith("greylited: " + conf + ":3: --" + name), line + ": " + check.err());
            assertEquals(start.err(), check.err(), line);
        }
    }

    /**
     * A --dns resolver or a --dnswl zone that the start refuses was printed by --print-config with exit status 0: the
     * check before a restart passed a configuration that would not start.
     */
    @Test
    void printConfigRefusesABadResolverOrDnsWhitelistZone() throws Exception {
        Path conf = config("upstream = 127.0.0.1:10025", "dns = resolver.example.org");
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertTrue(r.err().startsWith("greylited: " + conf + ":2: --dns wants an IP address"), r.err());

        conf = config("upstream = 127.0.0.1:10025", "dnswl = list.dnswl.org=high");
        r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertTrue(r.err().startsWith("greylited: " + conf + ":2: --dnswl wants ZONE or ZONE=THRESHOLD"), r.err());

        conf = config("upstream = 127.0.0.1:10025", "dnswl = list.dnswl.org=2", "dns = 127.0.0.1 [::1]:5353");
        assertEquals(0, run(Map.of(), "--config", conf.toString(), "--print-config").status());
    }

    /**
     * A retry window no longer than min-delay was said without where either came from ("retry-window (1m) must be
     * longer than min-delay (5m)"), though one of them may be a variable set for another program or a line of the file.
     */
    @Test
    void aRetryWindowNoLongerThanMinDelayNamesWhereEachCameFrom() throws Exception {
        Path conf = config("upstream = 127.0.0.1:10025", "retry-window = 1m");
        Run r = run(Map.of(), "--config", conf.toString(), "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: retry-window 1m (config " + conf + ":2) must be longer than min-delay 5m (default), "
                + "or no retry could ever pass", r.err().strip());

        r = run(Map.of("GREYLITE_MIN_DELAY", "2d"), "--config", conf.toString(), "--retry-window", "1d", "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: retry-window 1d (flag) must be longer than min-delay 2d (env GREYLITE_MIN_DELAY), "
                + "or no retry could ever pass", r.err().strip());
    }

    /** Taken for "never auto-whitelist", 0 forgot every passed triplet at its first purge: each message greylisted again. */
    @Test
    void aWhitelistLifetimeOfZeroIsAUsageError() throws Exception {
        Run r = run(Map.of(), "--whitelist-lifetime", "0", "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertTrue(r.err().contains("whitelist-lifetime must be longer than 0 (0s forgets every passed triplet"), r.err());
    }

    @Test
    void aBadLoadBalancerAddressIsAUsageErrorNamingTheOption() throws Exception {
        Path conf = config("upstream = 127.0.0.1:10025", "accept-proxy-protocol = 10.0.0.0/8, lb.example.org");
        Run r = run(Map.of(), "--config", conf.toString());
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertTrue(r.err().startsWith("greylited: " + conf + ":2: --accept-proxy-protocol: 'lb.example.org' is not an IP "
                + "address or CIDR block"), r.err());

        r = run(Map.of(), "--upstream", "127.0.0.1:10025", "--accept-proxy-protocol", "192.0.2.0/33");
        assertEquals(GreylitedCommand.USAGE, r.status());
        assertTrue(r.err().startsWith("greylited: --accept-proxy-protocol: bad prefix length in '192.0.2.0/33'"),
                r.err());
    }

    /** A load balancer's block copied from Postfix's mynetworks, IPv6 in brackets, is taken as written there. */
    @Test
    void aLoadBalancerBlockInPostfixsBracketsIsTaken() {
        Run r = run(Map.of(), "--upstream", "127.0.0.1:10025", "--accept-proxy-protocol", "[::1]/128,[2001:db8::]/32",
                "--print-config");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("accept-proxy-protocol = [::1]/128 [2001:db8::]/32"), r.out());
        r = run(Map.of(), "--upstream", "127.0.0.1:10025", "--accept-proxy-protocol", "[lb.example.org]",
                "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), "checked as a start checks it: " + r.out());
    }

    @Test
    void theWhitelistMemoryIsADurationAndZeroTurnsItOff() {
        Run r = run(Map.of(), "--print-config");
        assertEquals(java.time.Duration.ofSeconds(1), r.app().greylistSettings().whitelistMemory(), "the default");
        r = run(Map.of(), "--print-config", "--whitelist-memory", "0");
        assertEquals(java.time.Duration.ZERO, r.app().greylistSettings().whitelistMemory());
        r = run(Map.of(), "--print-config", "--whitelist-memory", "250ms");
        assertEquals(java.time.Duration.ofMillis(250), r.app().greylistSettings().whitelistMemory());
        Run bad = run(Map.of(), "--print-config", "--whitelist-memory", "soon");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> bad.app().greylistSettings());
        assertTrue(e.getMessage().startsWith("--whitelist-memory: "), e.getMessage());
    }

    /** A bad value from a variable names the variable the administrator set, not the flag, and dumps no usage. */
    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() {
        Run r = run(Map.of("GREYLITE_MAX_PENDING", "-1"), "--upstream", "127.0.0.1:9", "--print-config");
        assertEquals(GreylitedCommand.USAGE, r.status(), r.err());
        assertEquals("greylited: GREYLITE_MAX_PENDING: '-1' is not a number (0 or more; 0 for no limit)", r.err().strip());

        Run flag = run(Map.of("GREYLITE_MAX_PENDING", "5"), "--upstream", "127.0.0.1:9", "--max-pending", "-1",
                "--print-config");
        assertEquals(GreylitedCommand.USAGE, flag.status(), flag.err());
        assertTrue(flag.err().contains("'--max-pending'") && !flag.err().contains("GREYLITE_MAX_PENDING"), flag.err());
    }
}
