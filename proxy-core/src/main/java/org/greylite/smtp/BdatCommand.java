package org.greylite.smtp;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BDAT command (RFC 3030), read only in the one form every server reads alike: {@code BDAT SP chunk-size [SP
 * LAST] CRLF}, the verb and LAST in any case, a single space between the words, nothing after.
 *
 * <p>Its chunk is streamed upstream before the upstream's reply (the server answers after the chunk), so the size
 * the proxy reads must be the one the upstream reads. Exim knows a command only when a space or the end of the line
 * follows its name: {@code BDAT<TAB>50 LAST} is an unknown command there, and 50 bytes the proxy took for data
 * would be read as commands, a RCPT no decision has seen among them. Other white space (two spaces, a TAB before
 * LAST, a space at the end) is read differently from server to server too, so none is accepted; real clients send
 * the RFC's form.
 */
public record BdatCommand(long size, boolean last) {

    private static final Pattern FORM = Pattern.compile("(?i)BDAT ([0-9]{1,18})( LAST)?\r\n");

    /** The BDAT {@code line} is, or null when it is not in the RFC's form (its chunk's end cannot be trusted). */
    public static BdatCommand parse(CommandLine line) {
        String text = new String(line.raw(), StandardCharsets.ISO_8859_1);
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            return null;
        }
        return new BdatCommand(Long.parseLong(m.group(1)), m.group(2) != null);
    }
}
