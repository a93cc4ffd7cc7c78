package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The README's index of docs/choices.md is written by hand: it must name every item of that page (its bold titles),
 * in the page's order, so that an item added there, or renamed, is not missing from the index.
 */
class ChoicesIndexTest {

    private static final Pattern ITEM = Pattern.compile("^- \\*\\*(.+?)\\*\\*", Pattern.MULTILINE);

    @Test
    void theReadmeIndexNamesEveryChoiceInOrder() throws IOException {
        Path root = ConfigurationReferenceTest.repositoryRoot();
        String choices = Files.readString(root.resolve("docs").resolve("choices.md"), StandardCharsets.UTF_8);
        List<String> titles = new ArrayList<>();
        Matcher m = ITEM.matcher(choices);
        while (m.find()) {
            titles.add(m.group(1));
        }
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int from = readme.indexOf("## Choices made where the spec leaves room");
        int to = readme.indexOf("\n## ", from + 1);
        // The index's lines joined, so that a title wrapped over two lines is found whole.
        String index = readme.substring(from, to).replaceAll("\\s*\\n\\s*", " ");
        List<String> missing = new ArrayList<>();
        int at = 0;
        for (String title : titles) {
            int found = index.indexOf(title, at);
            if (found < 0) {
                missing.add(title);
            } else {
                at = found + title.length();
            }
        }
        assertEquals(List.of(), missing, "items of docs/choices.md the README's index does not name (in order)");
    }
}
