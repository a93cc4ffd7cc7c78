package org.greylite.relay;

import java.util.Locale;

/**
 * Who hears a RCPT first: the greylisting engine (SPEC §2, the default) or the upstream.
 *
 * <p>{@link #UPSTREAM_FIRST} is greylite's own order: a recipient the upstream refuses (a dictionary attack's
 * guesses, a sender's typo) gets the upstream's answer at once and writes nothing into the greydb; only a
 * recipient the upstream accepted is greylisted. It costs the upstream one command per refused recipient, and it
 * tells a first-time sender which addresses exist, which {@link #GREYLIST_FIRST} keeps to itself until the sender
 * has retried.
 */
public enum RcptOrder {
    /** The engine decides first; a greylisted RCPT never reaches the upstream. */
    GREYLIST_FIRST("greylist-first"),
    /** The upstream answers first; only the recipients it accepted are decided. */
    UPSTREAM_FIRST("upstream-first");

    private final String label;

    RcptOrder(String label) {
        this.label = label;
    }

    /** The name in settings and logs. */
    public String label() {
        return label;
    }

    /** {@code greylist-first} or {@code upstream-first}, in any case. */
    public static RcptOrder parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (RcptOrder o : values()) {
            if (o.label.equals(t)) {
                return o;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an RCPT order: greylist-first or upstream-first");
    }
}
