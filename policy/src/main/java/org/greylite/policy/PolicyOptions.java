package org.greylite.policy;

import java.util.Map;
import java.util.Set;

import org.greylite.daemon.config.SettingOptions;
import org.greylite.settings.Program;

/**
 * greylite-policy's options: the engine's are settings of the model ({@link org.greylite.settings.Settings}: label,
 * description, default, variable), as greylited's are; postgrey's, and those of this service alone, are named here
 * and keep their own text. A setting's name used by postgrey with its own meaning is postgrey's here:
 * {@code --retry-window=2} is two days (the model's bare number is seconds), {@code --hostname} names the host in
 * the X-Greylist header.
 */
final class PolicyOptions {

    private PolicyOptions() {
    }

    static final Set<String> POSTGREY_AND_OWN = Set.of("inet", "unix", "socketmode", "retry-window", "max-age",
            "greylist-action", "greylist-text", "x-greylist-header", "no-x-greylist-header", "whitelist-clients",
            "whitelist-recipients", "lookup-by-subnet", "lookup-by-host", "ipv4cidr", "ipv6cidr", "hostname",
            "listen-queue-size", "verbose", "quiet", "dbdir", "pidfile", "user", "group", "syslog-facility", "daemonize",
            "privacy", "exim", "help", "version");

    static final SettingOptions SETTINGS = new SettingOptions(Program.POLICY, POSTGREY_AND_OWN, Map.of());
}
