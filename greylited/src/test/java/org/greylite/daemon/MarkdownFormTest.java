package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README and the pages beside it are edited by hand, a table row at a time, and read on GitHub, which renders
 * them as CommonMark with GFM tables. The mistakes that render wrong without looking wrong in the source: a row
 * split over lines (the table ends there and the rest is a paragraph), a {@code |} inside a code span in a table
 * (GFM splits the cell there unless it is written {@code \|}, and drops the cells past the header's count), a
 * fence left open, and a link to a heading or a file that is not there.
 */
class MarkdownFormTest {

    private static final Pattern UNESCAPED_PIPE = Pattern.compile("(?<!\\\\)\\|");
    private static final Pattern DELIMITER_ROW = Pattern.compile("\\s*\\|?\\s*:?-+:?\\s*(\\|\\s*:?-+:?\\s*)*\\|?\\s*");
    private static final Pattern FENCE = Pattern.compile("\\s*(```|~~~).*");
    private static final Pattern HEADING = Pattern.compile("#{1,6}\\s+(.*?)\\s*#*\\s*");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void theReadmeAndTheDocumentationPagesRenderAsWritten() throws IOException {
        Path root = ConfigurationReferenceTest.repositoryRoot();
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        for (String folder : List.of("docs", "examples", "bench")) {
            try (Stream<Path> files = Files.walk(root.resolve(folder))) {
                files.filter(p -> p.toString().endsWith(".md") && !p.toString().contains("/target/")).sorted()
                        .forEach(pages::add);
            }
        }
        List<String> wrong = new ArrayList<>();
        for (Path page : pages) {
            List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
            String name = root.relativize(page).toString();
            checkTablesAndFences(name, lines, wrong);
            checkLinks(page, name, lines, wrong);
        }
        assertEquals(List.of(), wrong);
    }

    private static void checkTablesAndFences(String name, List<String> lines, List<String> wrong) {
        boolean inFence = false;
        int fenceStart = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (FENCE.matcher(line).matches()) {
                inFence = !inFence;
                fenceStart = i;
                continue;
            }
            if (inFence || !line.strip().startsWith("|")) {
                continue;
            }
            if (i + 1 >= lines.size() || !DELIMITER_ROW.matcher(lines.get(i + 1)).matches()) {
                // the rest of a table whose row was split over lines: GFM shows it as a paragraph of pipes
                wrong.add(name + ":" + (i + 1) + ": a table row outside any table (a row split over lines above?)");
                continue;
            }
            boolean closed = line.strip().endsWith("|");
            int columns = cells(line);
            int row = i + 2;
            for (; row < lines.size() && !lines.get(row).isBlank(); row++) {
                String r = lines.get(row).strip();
                if (!r.startsWith("|") || r.endsWith("|") != closed) {
                    // a row cut in two: GFM takes each half for a row of its own
                    wrong.add(name + ":" + (row + 1) + ": part of a table row split over lines");
                } else if (cells(r) != columns) {
                    wrong.add(name + ":" + (row + 1) + ": " + cells(r) + " cells in a table of " + columns
                            + " columns (a | inside a code span must be \\|)");
                }
            }
            i = row;
        }
        if (inFence) {
            wrong.add(name + ":" + (fenceStart + 1) + ": a fenced block never closed");
        }
    }

    /** The cells GFM sees in a row: it splits at every {@code |} not written {@code \|}, code spans included. */
    private static int cells(String row) {
        String r = row.strip();
        r = r.substring(1);
        if (r.endsWith("|") && !r.endsWith("\\|")) {
            r = r.substring(0, r.length() - 1);
        }
        return UNESCAPED_PIPE.split(r, -1).length;
    }

    private static void checkLinks(Path page, String name, List<String> lines, List<String> wrong) {
        Set<String> anchors = anchors(lines);
        boolean inFence = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (FENCE.matcher(line).matches()) {
                inFence = !inFence;
            }
            if (inFence) {
                continue;
            }
            Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", "``"));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("#")) {
                    if (!anchors.contains(target.substring(1))) {
                        wrong.add(name + ":" + (i + 1) + ": no heading for " + target);
                    }
                } else if (!target.matches("[a-z]+:.*")) {
                    String file = target.replaceAll("#.*", "");
                    if (!Files.exists(page.getParent().resolve(file))) {
                        wrong.add(name + ":" + (i + 1) + ": no file " + target);
                    }
                }
            }
        }
    }

    /**
     * GitHub's anchors: the heading's text in lower case, code marks and punctuation dropped (letters, digits,
     * {@code -} and {@code _} kept), spaces made {@code -}; a repeated one gets {@code -1}, {@code -2}...
     */
    private static Set<String> anchors(List<String> lines) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean inFence = false;
        for (String line : lines) {
            if (FENCE.matcher(line).matches()) {
                inFence = !inFence;
            }
            Matcher m = HEADING.matcher(line);
            if (inFence || !m.matches()) {
                continue;
            }
            String text = m.group(1).replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
            String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\p{Mn}_\\- ]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? slug : slug + "-" + n);
        }
        return anchors;
    }
}
