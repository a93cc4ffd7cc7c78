/**
 * The suspicion file (SPEC §5): how many times a client must try before its mail passes.
 *
 * <h2>Using it</h2>
 * A proxy builds {@link org.greylite.suspicion.ClientFacts} for each RCPT and asks a
 * {@link org.greylite.suspicion.SuspicionPolicy} for a {@link org.greylite.suspicion.Suspicion}: N, and the
 * line that decided. {@link org.greylite.suspicion.SuspicionFile} is a parsed file;
 * {@link org.greylite.suspicion.ReloadingSuspicionPolicy} follows a file's edits for a long-running server.
 * The GeoIP databases for {@code g} lines are in {@link org.greylite.suspicion.geoip}. Nothing here does
 * network I/O: the PTR name, DNSBL results and behaviours arrive in the facts.
 *
 * <h2>The language</h2>
 * One rule per line: {@code NUMBER KIND [!] RULE}, fields separated by spaces or tabs. Blank lines and
 * lines whose first non-blank character is {@code #} are ignored; there are no comments after a rule. The
 * lines are tried in order and the first that matches decides: N is its NUMBER, and the client is
 * suspicious (never auto-whitelisted), even when NUMBER is 0. When no line matches, N is 1 and the client
 * is not suspicious.
 * <ul>
 *   <li>NUMBER: how many times the triplet is refused before it may pass; 0 accepts at once, 1 is plain
 *       greylisting, 100 is "practically never". Digits only.</li>
 *   <li>{@code !}: inverts the rule. It may stand alone or touch the kind or the rule ({@code g ! IT},
 *       {@code g! IT}, {@code g !IT}).</li>
 *   <li>{@code r REGEX}: a POSIX extended regular expression (the rest of the line) searched for in the
 *       client's PTR name, ignoring case as greylite's {@code regcomp(REG_EXTENDED | REG_ICASE)}. A client
 *       without a PTR name has the empty name, which is tested like any other ({@code r ^$} catches it). See
 *       {@link org.greylite.suspicion.PosixEre} for how expressions are read.</li>
 *   <li>{@code v NAME...}: matches when any named variable is set, even to the empty string. If the first
 *       listed variable that is set holds a positive integer (digits only), that integer is N instead of
 *       NUMBER; a later listed variable's value never counts. A negated {@code v} line uses NUMBER.</li>
 *   <li>{@code e r:REGEX s:REGEX h:REGEX...}: matches when any pattern matches the recipient
 *       ({@code r:}), the envelope sender ({@code s:}, empty for the null sender) or the HELO/EHLO name
 *       ({@code h:}). These ignore case (an address's letters of every script, a HELO's ASCII letters),
 *       because addresses compare case-insensitively (SPEC §3) and so do host names; {@code r:} and {@code s:} also try the address as
 *       the greydb keys it (lower case, the sender's tags dropped). Each pattern ends at the next blank.</li>
 *   <li>{@code g CC...}: two-letter country codes (any case; the legacy pseudo-countries A1, A2, O1, AP, EU
 *       too; a code no GeoIP database gives, such as UK, is refused: see {@code CountryCodes}); matches when
 *       the GeoIP database places the client's address in one of them. When it gives the address no country
 *       (no database, an IPv4-only one and an IPv6 client, a private or newly allocated address) the line
 *       cannot be evaluated: it does not match, with or without {@code !}.</li>
 *   <li>{@code b KEYWORD...}: {@code greetdelay}, {@code retryinterval}, {@code commanderrors}; matches
 *       when the client showed any of them (see {@link org.greylite.suspicion.Behaviour}).</li>
 * </ul>
 * Java's regular expression engine recurses once per repetition of a group, so an expression such as
 * {@code ^([a-z0-9-]+\.)+[a-z]+$} can run out of stack on a text of some thousands of characters (a HELO within the
 * line limit): that pattern cannot be evaluated for that client, like a {@code g} line without a database; an
 * {@code e} line's other patterns are still tried.
 * <p>A line of unknown kind is ignored; a malformed line (bad NUMBER, missing rule, invalid regular expression,
 * unknown keyword, bad country code, an {@code e} item without {@code r:}/{@code s:}/{@code h:}, an {@code r:} or {@code s:} pattern that needs a
 * {@code <} or {@code >}, which the addresses, matched without their brackets, never hold, a variable
 * name with {@code =}, a comma, quotes or a leading {@code $}, a word starting with {@code #} or an {@code r} expression with a blank followed by {@code #}:
 * a comment after the rule) is discarded. Either way a {@link org.greylite.suspicion.Problem} names the file, line
 * and reason, and the rest of the file loads.
 */
package org.greylite.suspicion;
