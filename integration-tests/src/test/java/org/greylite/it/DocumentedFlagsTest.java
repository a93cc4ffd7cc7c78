package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every flag written after one of the programs in README.md, docs/ and examples/ (a command line, a unit's
 * ExecStart, a run script, a comment saying what to type) is one that program's {@code --help} lists, for
 * greylitectl that of the subcommand named: an administrator copies these lines as they are.
 */
@Timeout(300)
class DocumentedFlagsTest {

    private static final Pattern PROGRAM = Pattern.compile("(?<=^|[\\s/\"'(])(greylited|greylitectl|greylite-policy|greydaemon)(?=\\s|$)");
    /** Where a command ends within a line: a shell comment, a list of commands, a pipe, the end of a code span. */
    private static final Pattern COMMAND_END = Pattern.compile("\\s#|;|&&|\\s\\|\\s|`");
    private static final Pattern FLAG = Pattern.compile("--?[A-Za-z][A-Za-z0-9-]*");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
    private static final Map<String, Set<String>> SUBCOMMANDS = Map.of(
            "", Set.of("suspicion", "db"),
            "suspicion", Set.of("check", "explain"),
            "db", Set.of("init", "list", "delete", "purge", "stats", "check", "whitelist", "blacklist"));

    /** greylited's one hidden flag, for those who change the settings model: README's Layout names it. */
    private static final Set<String> HIDDEN = Set.of("--print-reference");

    @TempDir
    static Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    /** A program and its subcommand (greylitectl's), as {@code --help} is asked of them. */
    private record Command(String program, String subcommand) {
        List<String> helpCommand() {
            List<String> c = new ArrayList<>(List.of(Launchers.bin(program)));
            if (!subcommand.isEmpty()) {
                c.addAll(List.of(subcommand.split(" ")));
            }
            c.add("--help");
            return c;
        }

        @Override
        public String toString() {
            return subcommand.isEmpty() ? program : program + " " + subcommand;
        }
    }

    @Test
    void everyFlagWrittenAfterAProgramIsOneItTakes() throws Exception {
        Map<Command, Map<String, String>> written = new LinkedHashMap<>();
        for (Path document : documents()) {
            String name = Launchers.HOME.relativize(document).toString();
            List<String> lines = commandLines(document);
            for (int i = 0; i < lines.size(); i++) {
                collect(lines.get(i), name + ": " + lines.get(i).strip(), written);
            }
        }
        assertTrue(written.keySet().stream().map(Command::program).distinct().count() == 4,
                "commands of all four programs found: " + written.keySet());

        List<String> unknown = new ArrayList<>();
        Map<Command, String> helps = new HashMap<>();
        for (Map.Entry<Command, Map<String, String>> e : written.entrySet()) {
            String help = helps.computeIfAbsent(e.getKey(), DocumentedFlagsTest::help);
            for (Map.Entry<String, String> flag : e.getValue().entrySet()) {
                if (!HIDDEN.contains(flag.getKey()) && !Pattern.compile("(?<![\\w-])" + Pattern.quote(flag.getKey()) + "(?![\\w-])").matcher(help).find()) {
                    unknown.add(e.getKey() + " has no " + flag.getKey() + ", written in " + flag.getValue());
                }
            }
        }
        assertEquals(List.of(), unknown);
    }

    /** The files an administrator reads commands in. */
    private static List<Path> documents() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(Launchers.HOME.resolve("README.md")));
        for (String folder : List.of("docs", "examples")) {
            try (Stream<Path> files = Files.walk(Launchers.HOME.resolve(folder))) {
                files.filter(Files::isRegularFile).sorted().forEach(documents::add);
            }
        }
        return documents;
    }

    /**
     * The places a command may be written: in Markdown, the lines of code blocks and the code spans of other
     * lines (README's greylitectl section names the subcommands without the program: those spans get it put in
     * front); elsewhere every line. A line ending in a backslash goes on in the next, as in sh and systemd.
     */
    private static List<String> commandLines(Path document) throws IOException {
        String text = Files.readString(document).replaceAll("\\\\\\n\\s*", " ");
        if (!document.toString().endsWith(".md")) {
            return text.lines().toList();
        }
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        boolean ctlSection = false;
        for (String line : text.lines().toList()) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (line.startsWith("## ")) {
                ctlSection = line.equals("## greylitectl");
            }
            if (fenced) {
                out.add(line);
                continue;
            }
            Matcher span = CODE_SPAN.matcher(line);
            while (span.find()) {
                String code = span.group(1);
                out.add(ctlSection && (code.startsWith("db ") || code.startsWith("suspicion ")) ? "greylitectl " + code : code);
            }
        }
        return out;
    }

    /** Adds the flags written after each program named in {@code line}. */
    private static void collect(String text, String where, Map<Command, Map<String, String>> written) {
        // The systemd unit passes POLICY_OPTS of /etc/default/greylite-policy to greylite-policy.
        String line = text.replace("POLICY_OPTS=\"", "POLICY_OPTS= greylite-policy ");
        Matcher m = PROGRAM.matcher(line);
        while (m.find()) {
            String before = line.substring(0, m.start()).strip();
            String[] previous = before.split("\\s+");
            if (previous[previous.length - 1].startsWith("-")) {
                continue; // an option's value (install -o greylite-policy, journalctl -u greylited): no command
            }
            String rest = line.substring(m.end());
            Matcher end = COMMAND_END.matcher(rest);
            if (end.find()) {
                rest = rest.substring(0, end.start());
            }
            List<String> words = new ArrayList<>(List.of(rest.strip().split("\\s+")));
            for (String subcommand : subcommands(m.group(1), words)) {
                Map<String, String> flags = written.computeIfAbsent(new Command(m.group(1), subcommand), c -> new LinkedHashMap<>());
                for (String word : words) {
                    for (String part : word.replaceAll("^[\\[\"'(]+|[\\]\"'),.:]+$", "").split("[/|]")) {
                        Matcher flag = FLAG.matcher(part);
                        if (flag.lookingAt() && (part.length() == flag.end() || part.charAt(flag.end()) == '=')) {
                            flags.putIfAbsent(flag.group(), where);
                        }
                    }
                }
            }
        }
    }

    /**
     * greylitectl's subcommands at the start of {@code words}, removed from them; {@code db whitelist|blacklist}
     * stands for both. The empty subcommand for the other programs, and for a greylitectl line that names none.
     */
    private static Set<String> subcommands(String program, List<String> words) {
        Set<String> paths = new TreeSet<>(Set.of(""));
        if (!program.equals("greylitectl")) {
            return paths;
        }
        while (!words.isEmpty()) {
            Set<String> next = new TreeSet<>();
            for (String path : paths) {
                Set<String> known = SUBCOMMANDS.getOrDefault(path.contains(" ") ? path.substring(path.lastIndexOf(' ') + 1) : path, Set.of());
                for (String alternative : words.get(0).split("\\|")) {
                    if (known.contains(alternative)) {
                        next.add(path.isEmpty() ? alternative : path + " " + alternative);
                    }
                }
            }
            if (next.isEmpty()) {
                break;
            }
            paths = next;
            words.remove(0);
        }
        return paths;
    }

    private static String help(Command command) {
        try {
            Launchers.Ended r = Launchers.runToEnd(new ProcessBuilder(command.helpCommand()), dir, command.program(), 60);
            assertEquals(0, r.status(), command + " --help: " + r.out());
            return r.out();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(command + " --help", e);
        }
    }
}
