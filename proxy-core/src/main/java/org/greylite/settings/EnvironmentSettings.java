package org.greylite.settings;

import java.util.Map;
import java.util.Objects;

import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;

/**
 * The settings of a program that has no command line (the tcpserver wrapper, SPEC section 4): each one
 * from its variable when the program honours it, else the model's default for that program. Nothing
 * here looks at the process's own environment: callers pass it in, so tests can too.
 */
public final class EnvironmentSettings implements SettingValues {

    private final Map<String, String> env;
    private final Program program;

    public EnvironmentSettings(Map<String, String> env, Program program) {
        this.env = Objects.requireNonNull(env, "env");
        this.program = Objects.requireNonNull(program, "program");
    }

    /** The environment read. */
    public Map<String, String> environment() {
        return env;
    }

    /**
     * The setting's text: its variable's, else the default; null when neither gives one.
     */
    public String text(Setting<?> setting) {
        String v = setting.fromEnvironment(env, program);
        return v != null ? v : setting.defaultValue(program);
    }

    /** Whether the setting's variable gave its value (rather than the default). */
    public boolean isSet(Setting<?> setting) {
        return setting.fromEnvironment(env, program) != null;
    }

    /**
     * The setting's value, or null when neither the variable nor a default gives one.
     *
     * @throws IllegalArgumentException naming the variable, when its value is not one of the setting's
     */
    @Override
    public <T> T get(Setting<T> setting) {
        String text = text(setting);
        if (text == null) {
            return null;
        }
        try {
            return setting.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin(setting) + ": " + e.getMessage(), e);
        }
    }

    /** The variable when it gave the value, else the setting's name and "(default)". */
    @Override
    public String origin(Setting<?> setting) {
        return isSet(setting) ? setting.variable() : setting.name() + " (default)";
    }

    /** The value of the setting named {@code name} (see {@link Settings#byName}). */
    public Object get(String name) {
        Setting<?> s = Settings.byName(name);
        if (s == null) {
            throw new IllegalArgumentException("no setting named '" + name + "'");
        }
        return get(s);
    }

    /**
     * The decision settings: the durations of SPEC section 3, the client key, fail-open/closed, the cap on
     * pending triplets and the passes that earn the auto-whitelist.
     *
     * @throws IllegalArgumentException naming the variable at fault
     */
    public GreylistSettings greylist() {
        return new GreylistSettings(get(Settings.MIN_DELAY), get(Settings.RETRY_WINDOW),
                get(Settings.WHITELIST_LIFETIME), get(Settings.CLIENT_KEY), !get(Settings.FAIL_CLOSED))
                .withMaxPending(get(Settings.MAX_PENDING)).withAutoWhitelistPasses(get(Settings.AUTO_WHITELIST_CLIENTS));
    }

    /**
 * The relay's settings: the longest command line, the greeting delay, the junk command limit, the session
     * deadline, the greeting timeout, the RCPT order, and the replies (the greylisting reply, and {@code hostname}
     * in the proxy's own 421s).
     *
     * @throws IllegalArgumentException naming the variable at fault
     */
    public RelaySettings relay(String hostname) {
        Replies replies = checked(Settings.GREYLIST_REPLY, () -> new Replies(hostname, get(Settings.GREYLIST_REPLY)));
        int junkCommandLimit = get(Settings.JUNK_COMMAND_LIMIT);
        long sessionDeadline = get(Settings.SESSION_DEADLINE).toMillis();
        long greetingTimeout = get(Settings.GREETING_TIMEOUT).toMillis();
        RcptOrder order = get(Settings.RCPT_ORDER);
        return checked(Settings.MAX_LINE, () -> new RelaySettings(get(Settings.MAX_LINE), get(Settings.GREET_DELAY), replies,
                junkCommandLimit, sessionDeadline, greetingTimeout, order));
    }

    /** {@code make}'s result; its complaint prefixed with {@code setting}'s variable when that gave the value. */
    private <T> T checked(Setting<?> setting, java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            if (!isSet(setting) || e.getMessage().startsWith(setting.variable() + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(setting.variable() + ": " + e.getMessage(), e);
        }
    }
}
