package org.greylite.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Removes the extensions the proxy cannot let through from an upstream's EHLO reply, keeping the
 * reply well formed: every line but the last uses {@code 250-}, the last {@code 250 }.
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
        if (reply.code() != 250 || reply.lines().size() < 2) {
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

    /** Whether a positive EHLO reply offers the extension {@code keyword} (upper case). */
    public static boolean offers(Reply reply, String keyword) {
        if (reply.code() != 250) {
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
