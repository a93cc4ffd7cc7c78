package org.greylite.greylist;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.greylite.files.NamedPipe;
import org.greylite.files.TooLargeForMemory;
import org.greylite.net.Cidr;

/**
 * Clients that skip greylisting because they are known not to retry well, or to retry from a pool of
 * addresses: large providers and mailing services. One entry per line, each with its reason:
 * <pre>
 * # comment
 * suffix .outbound.protection.outlook.com   Microsoft 365 sends retries from a pool of addresses
 * regex  ^mail-[a-z0-9-]+\.google\.com$     Gmail outbound
 * cidr   192.0.2.0/24                        our partner's relay, which never retries
 * </pre>
 * {@code suffix} and {@code regex} match the client's forward-confirmed PTR name (lower case), so a
 * forged name cannot use them; {@code cidr} matches its address. A line without a reason, or that does not
 * parse, is a problem reported with file and line, and left out.
 */
public final class KnownSenders {

    /** Where the shipped list is, in the jar (built from examples/whitelist/known-senders.whitelist). */
    public static final String SHIPPED = "known-senders.whitelist";

    /** One entry and where it came from. */
    public record Entry(String kind, String value, String reason, String source) {
    }

    private record Suffix(String suffix, Entry entry) {
        /**
         * The name itself, or a name below it: whole labels only. Compared in place, because this runs at every
         * RCPT for every suffix of the list (a "." + suffix here made a string each time).
         */
        boolean matches(String name) {
            int dot = name.length() - suffix.length() - 1;
            return name.endsWith(suffix) && (dot == -1 || dot >= 0 && name.charAt(dot) == '.');
        }
    }

    private record Regex(Pattern pattern, Entry entry) {
    }

    private record Block(Cidr cidr, Entry entry) {
    }

    private final List<Suffix> suffixes = new ArrayList<>();
    private final List<Regex> regexes = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    /** No entries: nothing skips greylisting. */
    public static final KnownSenders NONE = new KnownSenders();

    private KnownSenders() {
    }

    /**
     * A file of known senders that cannot be read, and which: the JDK's own exception may not say
     * ({@code Files.readString} on a directory names none), and the caller names the setting that gave it.
     */
    public static final class UnreadableFile extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Path file;

        UnreadableFile(Path file, IOException cause) {
            super(file + ": " + cause.getMessage(), cause);
            this.file = file;
        }

        public Path file() {
            return file;
        }

        /** What the system said. */
        public IOException reason() {
            return (IOException) getCause();
        }
    }

    /**
     * The shipped list (from the jar) and the files given, in that order; {@code shipped} false leaves ours out.
     *
     * @throws UnreadableFile for a file given that cannot be read
     * @throws IOException    when the shipped list is missing from the jar
     */
    public static KnownSenders load(boolean shipped, List<Path> files) throws IOException {
        KnownSenders k = new KnownSenders();
        if (shipped) {
            try (InputStream in = KnownSenders.class.getResourceAsStream(SHIPPED)) {
                if (in == null) {
                    throw new IOException("the shipped " + SHIPPED + " is missing from the jar; rebuild with mvn package");
                }
                k.parse("(shipped) " + SHIPPED, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        for (Path f : files) {
            String text;
            try {
                // Refused before it is opened, as the suspicion and access files are: the open would wait for a
                // writer, and the wrapper's first RCPT (greylited's start) with it, for good.
                NamedPipe.refuse(f);
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (OutOfMemoryError e) {
                throw new UnreadableFile(f, TooLargeForMemory.of(f));
            } catch (IOException e) {
                throw new UnreadableFile(f, e);
            }
            k.parse(f.toString(), text);
        }
        return k;
    }

    /** Parses one file's text; its problems join {@link #problems()}. */
    public static KnownSenders parse(String name, List<String> lines) {
        KnownSenders k = new KnownSenders();
        k.parse(name, String.join("\n", lines));
        return k;
    }

    private void parse(String source, String text) {
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1);
            String[] parts = line.split("\\s+", 3);
            if (parts.length < 3 || parts[2].isBlank()) {
                problems.add(where + ": every entry needs a reason: KIND VALUE REASON");
                continue;
            }
            Entry e = new Entry(parts[0].toLowerCase(Locale.ROOT), parts[1], parts[2].strip(), where);
            try {
                switch (e.kind()) {
                    case "suffix":
                        // Kept without its leading dot; it matches whole labels only (google.com never matches evilgoogle.com).
                        suffixes.add(new Suffix(e.value().toLowerCase(Locale.ROOT).replaceFirst("^\\.", ""), e));
                        break;
                    case "regex":
                        regexes.add(new Regex(Pattern.compile(e.value(), Pattern.CASE_INSENSITIVE), e));
                        break;
                    case "cidr":
                        blocks.add(new Block(Cidr.parse(e.value()), e));
                        break;
                    default:
                        problems.add(where + ": unknown kind '" + parts[0] + "' (suffix, regex or cidr)");
                }
            } catch (PatternSyntaxException ex) {
                // Java's own text ("Unclosed group near index 1") does not say it is about a regular expression.
                problems.add(where + ": '" + e.value() + "' is not a regular expression: " + ex.getDescription()
                        + "; line ignored");
            } catch (IllegalArgumentException ex) {
                problems.add(where + ": " + ex.getMessage().split("\n")[0]);
            }
        }
    }

    /** The entry that lets this client skip greylisting, if any. */
    public Optional<Entry> match(InetAddress address, String confirmedPtr) {
        for (Block b : blocks) {
            if (b.cidr().contains(address)) {
                return Optional.of(b.entry());
            }
        }
        if (confirmedPtr == null || confirmedPtr.isEmpty()) {
            return Optional.empty();
        }
        String name = confirmedPtr.toLowerCase(Locale.ROOT);
        for (Suffix s : suffixes) {
            if (s.matches(name)) {
                return Optional.of(s.entry());
            }
        }
        for (Regex r : regexes) {
            if (r.pattern().matcher(name).find()) {
                return Optional.of(r.entry());
            }
        }
        return Optional.empty();
    }

    public int size() {
        return suffixes.size() + regexes.size() + blocks.size();
    }

    /** Lines left out, each as "file:line: why". */
    public List<String> problems() {
        return List.copyOf(problems);
    }
}
