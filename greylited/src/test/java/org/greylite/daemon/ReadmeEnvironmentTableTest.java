package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.junit.jupiter.api.Test;

/**
 * The README's table of environment variables is written by hand; docs/configuration.md's is generated from the
 * settings model, which the programs read their variables through. The two must name the same readers for every
 * variable, and the README must list every variable of the model.
 */
class ReadmeEnvironmentTableTest {

    private static final String HEADER = "| variable | flag | read by | meaning |";
    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_]*)`");

    @Test
    void everyRowNamesTheProgramsTheModelHasReadTheVariable() throws Exception {
        List<String> lines = Files.readAllLines(ConfigurationReferenceTest.repositoryRoot().resolve("README.md"),
                StandardCharsets.UTF_8);
        int header = lines.indexOf(HEADER);
        assertTrue(header >= 0, "README.md has no line " + HEADER);
        List<String> wrong = new ArrayList<>();
        Set<String> listed = new TreeSet<>();
        for (String row : lines.subList(header + 2, lines.size())) {
            if (!row.startsWith("|")) {
                break;
            }
            String[] cells = row.split("(?<!\\\\)\\|");
            Set<String> readers = Arrays.stream(cells[3].split(",")).map(String::strip).filter(r -> !r.isEmpty())
                    .collect(Collectors.toCollection(TreeSet::new));
            Matcher m = NAME.matcher(cells[1]);
            while (m.find()) {
                String variable = m.group(1);
                listed.add(variable);
                Setting<?> s = Settings.ALL.stream().filter(x -> variable.equals(x.variable())).findFirst().orElse(null);
                if (s == null) {
                    wrong.add(variable + ": not a variable of the settings model");
                    continue;
                }
                Set<String> model = s.honouredBy().stream().map(Program::command)
                        .collect(Collectors.toCollection(TreeSet::new));
                if (!model.equals(readers)) {
                    wrong.add(variable + ": README says " + readers + ", the model " + model);
                }
            }
        }
        assertEquals(List.of(), wrong);
        Set<String> unlisted = Settings.ALL.stream().map(Setting::variable).filter(v -> v != null && !listed.contains(v))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(), unlisted, "variables of the model missing from the README's table");
    }
}
