package org.greylite.ctl;

import org.greylite.net.Cidr;

/**
 * The block a {@code db whitelist|blacklist add} puts on a list. An address with bits past its prefix length names
 * its block ({@code 2001:DB8:0:0::5/32} is {@code 2001:db8::/32}), but not when the block is wider than a /8 (IPv4)
 * or a /16 (IPv6): {@code 192.0.2.7/0}, one slip of the keyboard, was added as {@code 0.0.0.0/0}, and then no
 * client was greylisted (a whitelist) or every RCPT got 554 (a blacklist). Such a block is taken only when written
 * as one ({@code 0.0.0.0/0}, {@code 128.0.0.0/1}), as greydaemon's {@code -w} lines are.
 */
final class ListBlock {

    /** The widest IPv4 block an address with bits past its prefix is taken for. */
    static final int WIDEST_IPV4 = 8;
    /** The widest IPv6 block an address with bits past its prefix is taken for. */
    static final int WIDEST_IPV6 = 16;

    private ListBlock() {
    }

    /** @throws IllegalArgumentException for text that is no block, or an address past a prefix that wide */
    static Cidr toAdd(String text) {
        Cidr block = Cidr.parse(text);
        int widest = block.isIpv4() ? WIDEST_IPV4 : WIDEST_IPV6;
        int slash = text.indexOf('/');
        if (slash < 0 || block.prefix() >= widest) {
            return block;
        }
        Cidr address = Cidr.parse(text.substring(0, slash));
        if (address.firstAddress().equals(block.firstAddress())) {
            return block; // written as a block: meant
        }
        throw new IllegalArgumentException("'" + text.trim() + "' has address bits past its /" + block.prefix()
                + ", and its block " + block + " is wider than a /" + widest + "; nothing added (write " + block
                + " if that block is meant, or " + address + " for the address)");
    }
}
