package org.greylite.greylist;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

import org.greylite.net.AddressText;
import org.greylite.net.EmbeddedIpv4;
import org.greylite.net.Ipv4Mapped;

/**
 * What "the client" means in a triplet and on the auto-whitelist. Big senders retry from another
 * address of a pool; keyed on the exact address, such a message is greylisted again at every retry.
 * <ul>
 * <li>{@code ip}: the exact address;</li>
 * <li>{@code net}: the /24 (IPv4) or /64 (IPv6) around it (prefixes configurable);</li>
 * <li>{@code smart} (the default): the registrable domain of the client's forward-confirmed PTR name
 *     ({@code mail-ot1-f41.google.com} becomes {@code google.com}, by the Public Suffix List), unless the
 *     name looks dynamic ({@link DynamicNames}); otherwise the network, as {@code net}.</li>
 * </ul>
 * The PTR name handed in must be forward-confirmed: greylited's lookup confirms it; under tcpserver the
 * wrapper checks TCPREMOTEHOST against its forward records before handing it in.
 */
public final class ClientKeys {

    /** How a client address becomes a key. */
    public enum Mode { IP, NET, SMART }

    /** Past this many remembered keys, the memory starts again empty (a flood of one-off clients). */
    static final int MAX_REMEMBERED = 10_000;

    private final Mode mode;
    private final int ipv4Prefix;
    private final int ipv6Prefix;

    /**
     * Keys computed lately, by address and PTR name. A smart key costs microseconds (the dynamic-name test, the
     * Public Suffix List), a network key an address copy and its printing; and they are asked for at every RCPT,
     * by the same few busy senders most of the time. A key depends on nothing else, so a remembered one is never
     * stale.
     */
    private final ConcurrentHashMap<NamedAddress, String> remembered = new ConcurrentHashMap<>();

    private record NamedAddress(InetAddress address, String ptrName) {
    }

    public ClientKeys(Mode mode, int ipv4Prefix, int ipv6Prefix) {
        if (ipv4Prefix < 1 || ipv4Prefix > 32 || ipv6Prefix < 1 || ipv6Prefix > 128) {
            throw new IllegalArgumentException("prefix lengths must be 1-32 (IPv4) and 1-128 (IPv6)");
        }
        this.mode = mode;
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
    }

    /** /24 for IPv4, /64 for IPv6. */
    public static ClientKeys networks() {
        return new ClientKeys(Mode.NET, 24, 64);
    }

    /** The default: the PTR name's registrable domain when it says who sends, else the /24 or /64. */
    public static ClientKeys smart() {
        return new ClientKeys(Mode.SMART, 24, 64);
    }

    /** {@code ip}, {@code net} or {@code smart}, as the --client-key setting writes it. */
    public static ClientKeys parse(String mode) {
        switch (mode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "ip":
                return exactAddresses();
            case "net":
                return networks();
            case "smart":
                return smart();
            default:
                throw new IllegalArgumentException("the client key must be 'ip', 'net' or 'smart', not '" + mode + "'");
        }
    }

    /**
     * The key for a client with this address and (forward-confirmed, possibly empty) PTR name: a
     * domain in smart mode when the name allows, else as {@link #keyFor(InetAddress)}.
     */
    public String keyFor(InetAddress address, String ptrName) {
        if (mode == Mode.IP) {
            return keyFor(address); // as cheap as a look-up
        }
        NamedAddress client = new NamedAddress(address, ptrName == null ? "" : ptrName);
        String key = remembered.get(client);
        if (key == null) {
            key = compute(address, client.ptrName());
            if (remembered.size() >= MAX_REMEMBERED) {
                remembered.clear();
            }
            remembered.put(client, key);
        }
        return key;
    }

    private String compute(InetAddress address, String ptrName) {
        if (mode == Mode.SMART && ptrName != null && !ptrName.isEmpty()) {
            InetAddress a = Ipv4Mapped.unwrap(address);
            if (!DynamicNames.looksDynamic(ptrName, a)) {
                String domain = registrableDomain(ptrName);
                if (domain != null) {
                    return domain;
                }
            }
        }
        return keyFor(address);
    }

    /**
     * The name's registrable domain by the Public Suffix List, or null (a bare suffix, an odd name): the key
     * of a smart client with that PTR name (greylitectl finds a client's rows by its name with it).
     */
    public static String registrableDomain(String name) {
        try {
            com.google.common.net.InternetDomainName d = com.google.common.net.InternetDomainName.from(name);
            return d.isUnderPublicSuffix() ? d.topPrivateDomain().toString() : null;
        } catch (IllegalArgumentException | IllegalStateException e) {
            return null;
        }
    }

    public static ClientKeys exactAddresses() {
        return new ClientKeys(Mode.IP, 32, 128);
    }

    public Mode mode() {
        return mode;
    }

    /**
     * The key, e.g. {@code 192.0.2.7}, {@code 192.0.2.0/24} or {@code 2001:db8:0:1::/64}: the address in the text
     * of {@link AddressText}, as the mail log shows it, so an administrator can find a client's rows by it.
     */
    public String keyFor(InetAddress address) {
        InetAddress a = Ipv4Mapped.unwrap(address);
        boolean v4 = a instanceof Inet4Address;
        int prefix = mode == Mode.IP ? (v4 ? 32 : 128) : (v4 ? ipv4Prefix : ipv6Prefix); // SMART falls back to NET
        if (prefix == (v4 ? 32 : 128)) {
            // The bytes' text, without a link-local client's zone (fe80::1%2): the zone is the number of an interface
            // of this host, which greylited's socket reports and tcpserver's TCPREMOTEIP, Postfix and qmail-smtpd
            // leave out, so one client had two keys, and a greydb shared by several hosts keys a client once.
            return AddressText.of(a.getAddress());
        }
        byte[] bytes = a.getAddress();
        byte[] carried = v4 ? null : EmbeddedIpv4.of(bytes);
        if (carried != null) {
            // NAT64 and Teredo: the /64 is shared by hosts of every network; the host's own network is its IPv4 one.
            bytes = carried;
            prefix = ipv4Prefix;
            if (prefix == 32) {
                return AddressText.of(bytes);
            }
        }
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return AddressText.of(bytes) + "/" + prefix;
    }
}
