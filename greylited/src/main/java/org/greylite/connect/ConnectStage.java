package org.greylite.connect;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.greylite.net.DnsServers;
import org.greylite.settings.SettingValues;
import org.greylite.settings.Settings;
import org.slf4j.Logger;

/**
 * The connection stage's fact providers, built from the settings: who the client is behind a load balancer
 * ({@code --accept-proxy-protocol}), what the access file says of it, its PTR name and its DNS whitelist
 * listing, looked up through the resolvers of {@code --dns}. Each says in one log line what it will do, so
 * an administrator reads from the start-up log which facts a decision will have.
 */
public final class ConnectStage {

    /** Bound on a DNSWL query when PTR lookups are off (--ptr-timeout 0): the whitelist still counts. */
    private static final Duration DNSWL_TIMEOUT_WITHOUT_PTR = Duration.ofSeconds(5);

    private final SettingValues settings;
    private final Logger log;

    /**
     * @throws IllegalArgumentException for a --dns server that is no IP address, even with no lookup to use it:
     *                                  a mistake in the configuration is said when it is made, not when a later
     *                                  change turns the lookups on
     */
    public ConnectStage(SettingValues settings, Logger log) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.log = Objects.requireNonNull(log, "log");
        dnsServers();
    }

    /**
     * Reads the resolvers and the DNS whitelist zones as the start will, building nothing and logging nothing: for
     * the values checked before anything opens (and by --print-config, which passed a --dns host name or a zone's
     * threshold that is no number, and the start then refused).
     *
     * @throws IllegalArgumentException naming the option and the value that cannot be used
     */
    public static void check(SettingValues settings) {
        String from = settings.origin(Settings.DNS);
        orEmpty(settings.get(Settings.DNS)).forEach(d -> DnsServers.parse(d, from));
        orEmpty(settings.get(Settings.DNSWL)).forEach(DnswlLookup.Zone::parse);
    }

    /**
     * The load balancers whose PROXY headers are believed; none by default.
     *
     * @throws IllegalArgumentException naming the option and the item that is no address or block
     */
    public TrustedProxies trustedProxies() {
        TrustedProxies t = TrustedProxies.parse(orEmpty(settings.get(Settings.ACCEPT_PROXY_PROTOCOL)));
        if (!t.isEmpty()) {
            log.info("PROXY protocol header required from {}; other peers are their own clients", t);
        }
        return t;
    }

    /**
     * The access rules, followed as the file changes, or null when there is no access file.
     *
     * @param reloadFailed told each time a changed file cannot be read (the rules in force stay)
     * @throws IOException when the file cannot be read at start-up
     */
    public ReloadingAccessRules accessRules(Runnable reloadFailed) throws IOException {
        java.nio.file.Path file = settings.get(Settings.ACCESS);
        return file == null ? null : new ReloadingAccessRules(file, Clock.systemUTC(), reloadFailed);
    }

    /** The PTR lookups, or null when --ptr-timeout is 0. */
    public PtrLookup ptrLookup() {
        Duration timeout = settings.get(Settings.PTR_TIMEOUT);
        if (timeout.isZero()) {
            // greylite-policy still has the names Postfix hands over: "every client's name" would tell it wrong.
            log.info("PTR lookups off (--ptr-timeout 0): no name is looked up; r lines see the empty name where "
                    + "none is given");
            return null;
        }
        PtrLookup lookup = PtrLookup.create(dnsServers(), timeout);
        log.info("{}", lookup.describe());
        return lookup;
    }

    /** The DNS whitelist lookups, bounded as PTR lookups are, or null when no --dnswl is given. */
    public DnswlLookup dnswlLookup() {
        List<String> zones = orEmpty(settings.get(Settings.DNSWL));
        if (zones.isEmpty()) {
            return null;
        }
        Duration timeout = settings.get(Settings.PTR_TIMEOUT);
        DnswlLookup lookup = DnswlLookup.create(zones.stream().map(DnswlLookup.Zone::parse).toList(), dnsServers(),
                timeout.isZero() ? DNSWL_TIMEOUT_WITHOUT_PTR : timeout);
        log.info("{}", lookup);
        return lookup;
    }

    /** --dns (or DNSCACHEIP), else (empty) the system's resolver. */
    private List<InetSocketAddress> dnsServers() {
        String from = settings.origin(Settings.DNS);
        return orEmpty(settings.get(Settings.DNS)).stream().map(d -> DnsServers.parse(d, from)).toList();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
