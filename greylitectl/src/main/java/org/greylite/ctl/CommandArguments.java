package org.greylite.ctl;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.text.ClientText;

/**
 * The command line as it was typed. The JVM decodes its arguments in the locale's character set, and under the C
 * locale (cron, a service, {@code ssh} without a locale, a minimal container) that is ASCII: {@code --from
 * jös@bücher.example} reached {@code suspicion explain} as {@code j??s@b??cher.example}, so an {@code s:} pattern the
 * engine matches (it reads the client's bytes as UTF-8) did not match there, and explain gave another N. On Linux the
 * bytes are still in {@code /proc/self/cmdline}: they are read again as the programs read a client's text, UTF-8 when
 * valid, else a character a byte ({@link ClientText#fromBytes}).
 */
final class CommandArguments {

    private static final Path CMDLINE = Path.of("/proc/self/cmdline");

    private CommandArguments() {
    }

    /** {@code args}, or the same arguments decoded again from their bytes when the JVM could not decode them. */
    static String[] asTyped(String[] args) {
        if (!lost(args)) {
            return args;
        }
        try {
            List<byte[]> raw = split(Files.readAllBytes(CMDLINE));
            if (raw.size() < args.length) {
                return args;
            }
            String[] typed = new String[args.length];
            int first = raw.size() - args.length; // the JVM's own options and the main class come first
            for (int i = 0; i < args.length; i++) {
                byte[] b = raw.get(first + i);
                typed[i] = ClientText.fromBytes(b, 0, b.length);
                if (!sameAscii(args[i], typed[i])) {
                    return args; // not the arguments this JVM was given: keep what it decoded
                }
            }
            return typed;
        } catch (IOException | RuntimeException e) {
            return args; // not Linux, or no /proc: the JVM's decoding stands
        }
    }

    /** Whether the JVM decoded the arguments in a character set other than UTF-8 and some did not decode. */
    private static boolean lost(String[] args) {
        Charset jnu;
        try {
            jnu = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (IllegalArgumentException e) {
            jnu = null;
        }
        if (StandardCharsets.UTF_8.equals(jnu)) {
            return false;
        }
        for (String a : args) {
            for (int i = 0; i < a.length(); i++) {
                if (a.charAt(i) >= 0x80 || a.charAt(i) == '?') {
                    return true;
                }
            }
        }
        return false;
    }

    /** The NUL-terminated strings of /proc/self/cmdline. */
    private static List<byte[]> split(byte[] cmdline) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                out.add(java.util.Arrays.copyOfRange(cmdline, start, i));
                start = i + 1;
            }
        }
        if (start < cmdline.length) {
            out.add(java.util.Arrays.copyOfRange(cmdline, start, cmdline.length));
        }
        return out;
    }

    /** Whether the two agree wherever the JVM's decoding is plain ASCII (the rest is what it lost). */
    private static boolean sameAscii(String decoded, String typed) {
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x80 && c != '?') {
                a.append(c);
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < typed.length(); i++) {
            char c = typed.charAt(i);
            if (c < 0x80 && c != '?') {
                b.append(c);
            }
        }
        return a.toString().equals(b.toString());
    }
}
