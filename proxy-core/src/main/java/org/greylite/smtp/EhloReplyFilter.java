package org.greylite.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Removes the extensions the proxy cannot let through from an upstream's EHLO reply, keeping the
 * reply well formed: every line but the last uses {@code 250-}, the last {@code 250 } (the code being the one of
 * the reply's last line, which is the one a client acts on, should the upstream have mixed codes).
 *
 * <p>The first line (the server's name) is never removed. Everything else is kept byte for byte.
 */
public final class EhloReplyFilter {

    private final Set<String> removed;

    /** @param removedKeywords extension keywords to drop, e.g. STARTTLS, XCLIENT (any case) */
    public EhloReplyFilter(Set<String> removedKeywords) {
        Set<String> upper = new java.util.HashSet<>();
        for (String k : removedKeywords) {
            upper.add(k.toUpperCase(Locale.ROOT));
        }
        this.removed = Set.copyOf(upper);
    }

    public Reply filter(Reply reply) {
        if (!isPositive(reply) || reply.lines().size() < 2) {
            return reply;
        }
        List<String> kept = new ArrayList<>();
        kept.add(reply.lines().get(0));
        for (String line : reply.lines().subList(1, reply.lines().size())) {
            if (!removed.contains(keyword(line))) {
                kept.add(line);
            }
        }
        if (kept.size() == reply.lines().size()) {
            return reply;
        }
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < kept.size(); i++) {
            raw.append(reply.code()).append(i == kept.size() - 1 ? ' ' : '-').append(kept.get(i)).append("\r\n");
        }
        return new Reply(reply.code(), kept, raw.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Whether {@code reply} to EHLO says yes, as clients read it: by the code of its last line, any 2xx. RFC 5321 has
     * 250 on every line, but an upstream that ends its lines with another code still has its extensions read by the
     * client (Postfix's smtp client takes the last line's code and every line's keyword): such a reply must be
     * filtered and followed as a positive one, or the client is offered what the proxy cannot follow (STARTTLS,
     * XCLIENT) and refused what it was offered (BDAT).
     */
    public static boolean isPositive(Reply reply) {
        return reply.code() / 100 == 2;
    }

    /** Whether a positive EHLO reply offers the extension {@code keyword} (upper case). */
    public static boolean offers(Reply reply, String keyword) {
        if (!isPositive(reply)) {
            return false;
        }
        for (String line : reply.lines().subList(1, reply.lines().size())) {
            if (keyword(line).equals(keyword)) {
                return true;
            }
        }
        return false;
    }

    static String keyword(String line) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '=') {
            end++;
        }
        return line.substring(0, end).toUpperCase(Locale.ROOT);
    }
}
