package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.greylite.settings.Program;
import org.greylite.settings.Settings;
import org.junit.jupiter.api.Test;

/**
 * bin/greylite sends its readers to {@link Greylite}'s class comment for the variables the wrapper reads, so that
 * comment names every variable the settings model gives the wrapper.
 */
class WrapperClassCommentTest {

    @Test
    void theClassCommentNamesEveryVariableTheWrapperReads() throws Exception {
        Path source = Path.of("src", "main", "java", "org", "greylite", "wrapper", "Greylite.java");
        assertTrue(Files.exists(source), "run from the wrapper module: " + source.toAbsolutePath());
        String text = Files.readString(source, StandardCharsets.UTF_8);
        String comment = text.substring(text.indexOf("/**"), text.indexOf("public final class Greylite"));
        List<String> missing = Settings.honouredBy(Program.GREYLITE).stream()
                .filter(s -> s.variable() != null)
                .map(s -> s.variable())
                .filter(v -> !Pattern.compile("\\b" + v + "\\b").matcher(comment).find())
                .toList();
        assertEquals(List.of(), missing, "variables the wrapper reads that Greylite's class comment leaves out");
    }
}
