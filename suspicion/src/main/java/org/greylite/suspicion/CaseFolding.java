package org.greylite.suspicion;

import java.util.regex.Pattern;

/** How a suspicion pattern compares letters. */
enum CaseFolding {
    /** As written. */
    EXACT(0),
    /**
     * ASCII letters alone, as {@code REG_ICASE} in the C locale: host names (PTR names for {@code r} lines, the HELO
     * for {@code h:}), which are ASCII. A junk-HELO line such as {@code h:[^-.a-z0-9]} must keep catching the long s
     * and the Kelvin sign, which folding every script's letters would take for {@code s} and {@code k}.
     */
    ASCII(Pattern.CASE_INSENSITIVE),
    /**
     * Every script's letters: addresses ({@code r:} and {@code s:}), which may be UTF-8 (SMTPUTF8) and which the
     * greydb keys in lower case, so that {@code JÖS@} does not step round {@code r:^jös@} while sharing its triplet.
     */
    LETTERS(Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

    /** The java.util.regex flags for this folding, beside DOTALL. */
    final int flags;

    CaseFolding(int flags) {
        this.flags = flags;
    }

    boolean ignoresCase() {
        return this != EXACT;
    }
}
