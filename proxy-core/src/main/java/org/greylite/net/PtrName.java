package org.greylite.net;

import java.util.Locale;

/**
 * A client's PTR name as the rules and the known-senders list compare it: lower case (DNS names ignore case, and
 * so must {@code r} lines), without the final dot. greylite reads it so from TCPREMOTEHOST, and greylitectl
 * suspicion explain from --ptr, so that a name pasted from dig ({@code Host.DSL.Example.NET.}) matches as the
 * programs match it; greylited's own lookups give it in this form.
 */
public final class PtrName {

    private PtrName() {
    }

    /** {@code given} without surrounding space, in lower case, without its final dot; "" for none, blank or ".". */
    public static String compared(String given) {
        if (given == null) {
            return "";
        }
        String name = given.strip().toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
