package org.greylite.suspicion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.suspicion.geoip.CountryLocator;

/**
 * A parsed suspicion file (SPEC §5): the lines that loaded, in order, and the problems with those that did
 * not. Immutable and thread-safe; all parsing and regular-expression compiling happen here, once, so that
 * {@link #evaluate} only runs the precompiled tests.
 *
 * <p>The language, one rule per line: {@code NUMBER KIND [!] RULE}. The first line whose rule matches the
 * client decides N (its NUMBER) and makes the client suspicious; {@code !} inverts a rule; with no matching
 * line the verdict is {@link Suspicion#NONE}. The package description gives the whole language. A line of
 * unknown kind is ignored and a malformed line discarded; both become a {@link Problem} and the rest of the
 * file loads.
 */
public final class SuspicionFile implements SuspicionPolicy {

    /**
     * The longest regular expression a rule may have; a longer one is a bad line, refused before it is compiled.
     * Far beyond any host name or address pattern; Java compiles a long literal in time growing with the square of
     * its length (200,000 characters took the best part of a minute, holding up greylitectl, and greylited's start
     * or reload). Other files of patterns an administrator writes (greylite-policy's whitelists) keep to it too.
     */
    public static final int MAX_EXPRESSION = 16 * 1024;

    private final String fileName;
    private final CountryLocator geo;
    private final SuspicionLine[] lines;
    private final List<Problem> problems;
    private final boolean usesCountries;

    private SuspicionFile(String fileName, CountryLocator geo, List<SuspicionLine> lines, List<Problem> problems) {
        this.fileName = fileName;
        this.geo = geo;
        this.lines = lines.toArray(SuspicionLine[]::new);
        this.problems = List.copyOf(problems);
        this.usesCountries = lines.stream().anyMatch(l -> l.rule() instanceof CountryRule);
    }

    /**
     * Parses the lines of a suspicion file.
     *
     * @param fileName the file's name as the administrator gave it, for problems and decision logs
     * @param lines    the file's lines, without line terminators (a trailing CR is tolerated)
     * @param geo      the GeoIP database for {@code g} lines; {@code null} or {@link CountryLocator#NONE} when
     *                 there is none, which leaves {@code g} lines loaded but never matching
     */
    public static SuspicionFile parse(String fileName, List<String> lines, CountryLocator geo) {
        LineParser parser = new LineParser(fileName);
        List<SuspicionLine> loaded = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        int number = 0;
        for (String text : lines) {
            number++;
            try {
                parser.parse(number, text).ifPresent(loaded::add);
            } catch (LineParser.Rejected e) {
                problems.add(new Problem(fileName, number, LineParser.asWritten(text), e.getMessage(), e.malformed));
            }
        }
        return new SuspicionFile(fileName, geo == null ? CountryLocator.NONE : geo, loaded, problems);
    }

    /**
     * Reads and parses a suspicion file. Bytes that are not UTF-8 (a Latin-1 comment, say) are replaced,
     * not fatal; a UTF-8 byte order mark at the start (Notepad writes one) is not part of the first line, and a
     * file that starts with a UTF-16 byte order mark is read as UTF-16.
     *
     * @param geo as for {@link #parse}
     */
    public static SuspicionFile load(Path file, CountryLocator geo) throws IOException {
        return parse(file.toString(), readLines(file), geo);
    }

    /** A file with no lines: every client gets {@link Suspicion#NONE}. */
    public static SuspicionFile empty(String fileName) {
        return new SuspicionFile(fileName, CountryLocator.NONE, List.of(), List.of());
    }

    static List<String> readLines(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = (isUtf16(bytes) ? StandardCharsets.UTF_16 : StandardCharsets.UTF_8).newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        String text = decoder.decode(ByteBuffer.wrap(bytes)).toString();
        // Kept, the mark made the first line's number unreadable: that line was dropped at start-up, and every
        // reload of the file was refused for it.
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        return text.lines().toList();
    }

    /**
     * Whether the file starts with a UTF-16 byte order mark: what Windows Notepad's "Unicode" and PowerShell 5's
     * {@code >} write. Read as UTF-8, every other byte was a NUL and every line was discarded as a "bad number" full of
     * replacement characters, which told the administrator nothing; Java's UTF-16 decoder reads the mark and drops it.
     */
    private static boolean isUtf16(byte[] bytes) {
        return bytes.length >= 2 && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
                || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF));
    }

    /** The file's name as given. */
    public String fileName() {
        return fileName;
    }

    /** The lines that were not loaded, in file order. */
    public List<Problem> problems() {
        return problems;
    }

    /** The malformed lines among the {@link #problems()}: what keeps a running program on its old rules. */
    public List<Problem> errors() {
        return problems.stream().filter(Problem::malformed).toList();
    }

    /** How many rule lines loaded. */
    public int ruleCount() {
        return lines.length;
    }

    /** Whether any {@code g} line loaded (worth a warning when no GeoIP database is configured). */
    public boolean usesCountries() {
        return usesCountries;
    }

    /** Tries the lines in order; the first that matches decides. */
    @Override
    public Suspicion evaluate(ClientFacts facts) {
        Evaluation client = new Evaluation(facts, geo);
        for (SuspicionLine line : lines) {
            if (line.outcome(client) == LineOutcome.MATCHED) {
                return line.verdict(facts);
            }
        }
        return Suspicion.NONE;
    }

    /**
     * Tries the lines in order as {@link #evaluate} does, recording for each line up to the deciding one
     * whether it matched, did not, or could not be evaluated, and why. For {@code greylitectl suspicion
     * explain}; slower than {@link #evaluate}, which it agrees with.
     */
    public Explanation explain(ClientFacts facts) {
        Evaluation client = new Evaluation(facts, geo);
        List<LineExplanation> tried = new ArrayList<>();
        for (SuspicionLine line : lines) {
            LineOutcome outcome = line.outcome(client);
            tried.add(line.explain(client, outcome));
            if (outcome == LineOutcome.MATCHED) {
                return new Explanation(tried, line.verdict(facts));
            }
        }
        return new Explanation(tried, Suspicion.NONE);
    }

    @Override
    public String toString() {
        return fileName + " (" + lines.length + " rules, " + problems.size() + " problems)";
    }
}
