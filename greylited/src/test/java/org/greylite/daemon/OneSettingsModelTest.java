package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.GreylistSettings;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Settings;
import org.junit.jupiter.api.Test;

/**
 * One declaration of a setting feeds every path: greylited's flag, the same setting's variable read by
 * greylited, and that variable read by the tcpserver wrapper (through {@link EnvironmentSettings}, as
 * {@code WrapperSession} reads it); and without any of them, the wrapper's defaults are greylited's.
 */
class OneSettingsModelTest {

    private static Greylited parsed(Map<String, String> env, String... args) {
        Greylited app = new Greylited(env);
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = "--print-config"; // parses and prints, starts nothing
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = GreylitedCommand.execute(app, env, all, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, status, err.toString());
        return app;
    }

    private static GreylistSettings wrapper(Map<String, String> env) {
        return new EnvironmentSettings(env, Program.GREYLITE).greylist();
    }

    @Test
    void aFlagItsVariableForGreylitedAndTheSameVariableForTheWrapperAgree() {
        Map<String, String> env = Map.of("GREYLITE_MIN_DELAY", "7m", "GREYLITE_FAIL_CLOSED", "",
                "GREYLITE_CLIENT_KEY", "ip");
        GreylistSettings byFlag = parsed(Map.of(), "--min-delay", "7m", "--fail-closed", "--client-key", "ip")
                .greylistSettings();
        GreylistSettings byVariable = parsed(env).greylistSettings();
        GreylistSettings inWrapper = wrapper(env);
        for (GreylistSettings s : new GreylistSettings[] {byFlag, byVariable, inWrapper}) {
            assertEquals(Duration.ofMinutes(7), s.minDelay());
            assertFalse(s.failOpen());
            assertEquals("192.0.2.7", s.clientKeys().keyFor(address("192.0.2.7"), null), "ip: the exact address");
        }

        String reply = "450 4.7.1 <{rcpt}>: later";
        Map<String, String> replyEnv = Map.of("GREYLITE_GREYLIST_REPLY", reply, "GREYLITE_MAX_LINE", "1000");
        Greylited fromVariable = parsed(replyEnv);
        assertEquals(reply, parsed(Map.of(), "--greylist-reply", reply).settings().held(Settings.GREYLIST_REPLY));
        assertEquals(reply, fromVariable.settings().held(Settings.GREYLIST_REPLY));
        assertEquals(1000, fromVariable.settings().held(Settings.MAX_LINE));
        assertEquals(reply, new EnvironmentSettings(replyEnv, Program.GREYLITE).relay("mx").replies().greylistTemplate());
        assertEquals(1000, new EnvironmentSettings(replyEnv, Program.GREYLITE).relay("mx").maxLineLength());
    }

    @Test
    void theWrappersDefaultsAreGreylitedsDefaults() {
        Greylited app = parsed(Map.of());
        GreylistSettings daemon = app.greylistSettings();
        GreylistSettings inWrapper = wrapper(Map.of());
        assertEquals(daemon.minDelay(), inWrapper.minDelay());
        assertEquals(daemon.retryWindow(), inWrapper.retryWindow());
        assertEquals(daemon.whitelistLifetime(), inWrapper.whitelistLifetime());
        assertEquals(daemon.failOpen(), inWrapper.failOpen());
        InetAddress client = address("198.51.100.20");
        assertEquals(daemon.clientKeys().keyFor(client, "mail-7.example.net"),
                inWrapper.clientKeys().keyFor(client, "mail-7.example.net"));

        EnvironmentSettings w = new EnvironmentSettings(Map.of(), Program.GREYLITE);
        assertEquals(app.settings().held(Settings.MAX_LINE), (int) w.get(Settings.MAX_LINE));
        assertEquals(app.settings().held(Settings.GREYLIST_REPLY), w.get(Settings.GREYLIST_REPLY));
        assertEquals(app.greetDelayMillis(), (long) w.get(Settings.GREET_DELAY));
        assertEquals(Settings.IDLE_TIMEOUT.parse((String) app.settings().held(Settings.IDLE_TIMEOUT)), w.get(Settings.IDLE_TIMEOUT));
        assertEquals(Settings.UPSTREAM_TIMEOUT.parse((String) app.settings().held(Settings.UPSTREAM_TIMEOUT)), w.get(Settings.UPSTREAM_TIMEOUT));
        assertEquals(Settings.BUSY_TIMEOUT.parse((String) app.settings().held(Settings.BUSY_TIMEOUT)), w.get(Settings.BUSY_TIMEOUT));
        assertEquals(app.settings().held(Settings.NO_SHIPPED_WHITELIST), w.get(Settings.NO_SHIPPED_WHITELIST));
    }

    @Test
    void aBadValueFromAVariableIsReportedWithTheVariable() {
        assertEquals("greylited: GREYLITE_MIN_DELAY: bad duration 'soon'",
                checked(Map.of("GREYLITE_MIN_DELAY", "soon")).substring(0, 50));
        assertEquals("greylited: --min-delay: bad duration 'soon'",
                checked(Map.of(), "--min-delay", "soon").substring(0, 43));
    }

    /** What --print-config, which reads every value as the start would, says of a bad one (exit status 2). */
    private static String checked(Map<String, String> env, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = "--print-config";
        StringWriter err = new StringWriter();
        int status = GreylitedCommand.execute(new Greylited(env), env, all, new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true));
        assertEquals(GreylitedCommand.USAGE, status, err.toString());
        return err.toString();
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
