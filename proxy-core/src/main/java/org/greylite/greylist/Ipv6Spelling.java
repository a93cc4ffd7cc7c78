package org.greylite.greylist;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Whether a PTR name spells out an IPv6 client's /64, the part of the address that tells one customer of a pool
 * from another: {@code 2001-db8-1-2--5.sslip.io}, {@code 2001-0db8-0001-0002-0000-0000-0000-0005.v6.isp.example},
 * {@code 20010db800010002....isp.example}, or the reversed nibbles of {@code ip6.arpa}. Such a name is made from the
 * address, as IPv4 pools' {@code 203-0-113-7} names are, so it says nothing about who sends; keyed on its domain,
 * one address of the pool would pass on another's triplets and earn the auto-whitelist for all of them.
 * Only the whole /64 counts: a mail server's name may hold a group or two ({@code mx-2001.example}) by chance.
 */
final class Ipv6Spelling {

    /** What separates the groups in such names: anything that is not a hex digit. */
    private static final Pattern NOT_HEX = Pattern.compile("[^0-9a-f]+");

    private Ipv6Spelling() {
    }

    static boolean spellsNetwork(String ptrName, byte[] address) {
        String name = ptrName.toLowerCase(Locale.ROOT);
        int[] groups = new int[4];
        StringBuilder nibbles = new StringBuilder(16);
        for (int i = 0; i < 4; i++) {
            groups[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
            nibbles.append(String.format("%04x", groups[i]));
        }
        String digits = NOT_HEX.matcher(name).replaceAll("");
        if (digits.contains(nibbles) || digits.contains(new StringBuilder(nibbles).reverse())) {
            return true; // written out in full, with or without separators, or nibble by nibble reversed
        }
        return groupsInARow(NOT_HEX.split(name), groups);
    }

    /** The four groups as fields of the name, in order, each with or without its leading zeros. */
    private static boolean groupsInARow(String[] fields, int[] groups) {
        for (int start = 0; start + groups.length <= fields.length; start++) {
            boolean all = true;
            for (int i = 0; i < groups.length && all; i++) {
                all = isGroup(fields[start + i], groups[i]);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static boolean isGroup(String field, int group) {
        return !field.isEmpty() && field.length() <= 4 && Integer.parseInt(field, 16) == group;
    }
}
