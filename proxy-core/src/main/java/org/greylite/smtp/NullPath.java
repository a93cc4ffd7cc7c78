package org.greylite.smtp;

/**
 * Whether a path, as {@link CommandLine#pathArgument} reads it from between the angle brackets, names no mailbox:
 * the null path {@code <>} of a bounce, however it is spelt. Postfix takes {@code < >}, {@code <"">} and
 * {@code <@relay.example:>} as the null sender (its log says {@code from=<>}) and refuses them as a recipient
 * ({@code 501 5.1.3}); qmail-smtpd drops a source route and every quote, so it too reads {@code <"">} and
 * {@code <@relay.example:>} as the null sender.
 *
 * <p>Only {@code < >} is read apart: qmail-smtpd keeps the space and queues the message from a sender {@code " "}
 * whose bounces go nowhere, as they would from the null sender. It is taken as the null sender here, as Postfix takes
 * it: its recipients then go upstream and are decided at DATA, which decides them before the message whichever the
 * upstream is, while a sender {@code " "} had its recipients greylisted at RCPT as a real sender's, so that an
 * address-verification probe so spelt was told to retry by a Postfix behind the proxy.
 */
public final class NullPath {

    private NullPath() {
    }

    /** True when {@code path} is blank, an empty quoted string, or a source route to either. */
    public static boolean namesNoMailbox(String path) {
        String p = path.strip();
        if (p.startsWith("@")) {
            // RFC 5321 4.1.2 and C: a source route (@one,@two:) precedes the mailbox, and servers drop it.
            int colon = p.indexOf(':');
            if (colon < 0) {
                return false; // "@domain": no route, and no mailbox either, but not the null path
            }
            p = p.substring(colon + 1).strip();
        }
        return p.isEmpty() || p.equals("\"\"");
    }
}
