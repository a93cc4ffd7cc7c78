package org.greylite.smtp;

/**
 * Finds where a DATA message ends ({@code CRLF . CRLF}) in a stream of chunks split anywhere.
 *
 * <p>It also spots the end-of-data forms that only lenient servers accept: a lone {@code .} on a line
 * begun or ended by a bare LF ({@code LF . LF}, {@code LF . CRLF}, {@code CRLF . LF}) or by a bare CR
 * ({@code CR . CR}, {@code CRLF . CR}, {@code CR . CRLF}), since some servers take a bare CR for a line end. The proxy
 * would see such a line as message text while a lenient upstream would see the message end there and
 * read what follows as new commands, which would then bypass greylisting ("SMTP smuggling"). The
 * scanner keeps looking for the real end and raises {@link #sawAmbiguousEnd()}; the caller then
 * refuses the message instead of forwarding it.
 */
public final class DataEndScanner {

    /** Result of {@link #scan}: no end in this chunk. */
    public static final int NOT_FOUND = -1;

    // States after the bytes seen so far.
    private static final int MID_LINE = 0;     // inside a line
    private static final int CR = 1;           // saw CR (not yet known whether LF follows)
    private static final int LINE_START = 2;   // just after CRLF
    private static final int BARE_LINE_START = 3; // just after a LF with no CR before it
    private static final int DOT = 4;          // CRLF then '.'
    private static final int DOT_CR = 5;       // CRLF '.' CR
    private static final int BARE_DOT = 6;     // bare LF or bare CR then '.'

    private int state = LINE_START; // the DATA command's own CRLF starts the first line
    private boolean ambiguous;

    /** Starts over for a new message. */
    public void reset() {
        state = LINE_START;
        ambiguous = false;
    }

    /** True once this message contained a bare-LF end-of-data form. */
    public boolean sawAmbiguousEnd() {
        return ambiguous;
    }

    /**
     * True when the bytes scanned so far end in {@code CRLF . CR}: the next byte decides between the end of the
     * message (LF) and an ambiguous end (anything else), so that CR is better not sent on before it.
     */
    public boolean undecidedDotCr() {
        return state == DOT_CR;
    }

    /** The state after a CR that a LF may not follow: a '.' then stands at the start of a bare-CR line. */
    private static int afterCr(byte b) {
        return b == '\n' ? LINE_START : b == '\r' ? CR : b == '.' ? BARE_DOT : MID_LINE;
    }

    /**
     * Scans {@code len} bytes of {@code buf} from {@code off}.
     *
     * @return the offset just past the terminating {@code CRLF.CRLF}, or {@link #NOT_FOUND} when the
     *         message goes on
     */
    public int scan(byte[] buf, int off, int len) {
        int s = state;
        for (int i = off, stop = off + len; i < stop; i++) {
            byte b = buf[i];
            switch (s) {
                case MID_LINE:
                    s = b == '\r' ? CR : b == '\n' ? BARE_LINE_START : MID_LINE;
                    break;
                case CR:
                    s = afterCr(b);
                    break;
                case LINE_START:
                case BARE_LINE_START:
                    if (b == '.') {
                        s = s == LINE_START ? DOT : BARE_DOT;
                    } else {
                        s = b == '\r' ? CR : b == '\n' ? BARE_LINE_START : MID_LINE;
                    }
                    break;
                case DOT:
                    if (b == '\r') {
                        s = DOT_CR;
                    } else if (b == '\n') {
                        ambiguous = true;
                        s = BARE_LINE_START;
                    } else {
                        s = MID_LINE;
                    }
                    break;
                case DOT_CR:
                    if (b == '\n') {
                        state = LINE_START;
                        return i + 1;
                    }
                    // "CRLF . CR" then anything but LF: the end for a server that takes a bare CR as a line end.
                    ambiguous = true;
                    s = afterCr(b);
                    break;
                case BARE_DOT:
                    if (b == '\r' || b == '\n') {
                        ambiguous = true;
                        // "LF . CR LF" ends the message for a lenient server, but "LF . CR" then
                        // LF is still a line break for us: keep following the line structure.
                        s = b == '\r' ? CR : BARE_LINE_START;
                        break;
                    }
                    s = MID_LINE;
                    break;
                default:
                    throw new IllegalStateException("state " + s);
            }
        }
        state = s;
        return NOT_FOUND;
    }
}
