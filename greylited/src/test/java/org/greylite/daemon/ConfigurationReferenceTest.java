package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.junit.jupiter.api.Test;

import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/configuration.md is generated from greylited's options; this test regenerates it and compares, so
 * the page cannot drift from {@code --help}. With {@code -Dgreylite.writeReference=true} it writes the page
 * instead.
 */
class ConfigurationReferenceTest {

    private static final String HOW = "regenerate it with '" + GreylitedCommand.REGENERATE_REFERENCE + "' (after "
            + "'mvn -DskipTests package'), or: mvn -pl greylited -am test -Dtest=ConfigurationReferenceTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dgreylite.writeReference=true";

    /** The repository's top folder (the tests run in a module's). */
    static Path repositoryRoot() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("greydb.sql"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root not found from " + Path.of("").toAbsolutePath());
        return root;
    }

    private static Path page() {
        return repositoryRoot().resolve("docs").resolve("configuration.md");
    }

    @Test
    void committedPageMatchesTheOptions() throws Exception {
        String expected = GreylitedCommand.referencePage();
        Path page = page();
        if (Boolean.getBoolean("greylite.writeReference")) {
            Files.createDirectories(page.getParent());
            Files.writeString(page, expected, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(page)) {
            fail(page + " is missing: " + HOW);
        }
        String actual = Files.readString(page, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            String[] e = expected.split("\n", -1);
            String[] a = actual.split("\n", -1);
            int i = 0;
            while (i < e.length && i < a.length && e[i].equals(a[i])) {
                i++;
            }
            fail("docs/configuration.md does not match greylited's options (first difference at line " + (i + 1)
                    + ":\n  expected: " + (i < e.length ? e[i] : "<end>") + "\n  found:    " + (i < a.length ? a[i] : "<end>")
                    + ")\n" + HOW);
        }
    }

    @Test
    void everyOptionIsASettingOfTheModelAndEverySettingWithAFlagAnOption() {
        Set<String> options = new TreeSet<>();
        for (OptionSpec o : GreylitedCommand.commandLine(new Greylited(Map.of())).getCommandSpec().options()) {
            options.add(LayeredDefaults.key(o));
        }
        Set<String> declared = new TreeSet<>(GreylitedOptions.COMMAND_LINE_ONLY);
        Settings.ALL.stream().filter(Setting::hasFlag).forEach(s -> declared.add(s.name()));
        Set<String> missing = new TreeSet<>(options);
        missing.removeAll(declared);
        assertEquals(Set.of(), missing, "options that are no setting: declare them in org.greylite.settings.Settings");
        Set<String> stale = new TreeSet<>(declared);
        stale.removeAll(options);
        assertEquals(Set.of(), stale, "settings with a flag greylited does not have");
    }

    @Test
    void theReadmesEnvironmentTableNamesTheModelsVariablesAndNoOther() throws Exception {
        String readme = Files.readString(repositoryRoot().resolve("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("\n## Environment variables\n");
        assertTrue(start >= 0, "README.md has no '## Environment variables' section");
        int end = readme.indexOf("\n## ", start + 1);
        Set<String> inTable = new TreeSet<>();
        for (String line : readme.substring(start, end).split("\n")) {
            if (line.startsWith("| `")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("`([A-Z][A-Z0-9_]+)`")
                        .matcher(line.substring(0, line.indexOf(" | ", 2)));
                while (m.find()) {
                    inTable.add(m.group(1));
                }
            }
        }
        Set<String> model = new TreeSet<>();
        Settings.ALL.stream().filter(s -> s.variable() != null).forEach(s -> model.add(s.variable()));
        assertEquals(model, inTable, "README.md's environment table and the settings model disagree");
    }

    @Test
    void everyDescriptionStatesItsDefaultOnce() {
        for (OptionSpec o : GreylitedCommand.commandLine(new Greylited(Map.of())).getCommandSpec().options()) {
            String d = String.join(" ", o.description());
            int first = d.indexOf("(default");
            assertTrue(first < 0 || d.indexOf("(default", first + 1) < 0, o.longestName() + ": two defaults in: " + d);
            if (o.defaultValue() != null && o.arity().max() > 0) {
                assertTrue(first >= 0, o.longestName() + " has a default its description does not state: " + d);
            }
        }
    }
}
