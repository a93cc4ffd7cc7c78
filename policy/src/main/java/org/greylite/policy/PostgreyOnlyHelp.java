package org.greylite.policy;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The section of {@code --help} that lists postgrey's flags greylite-policy accepts and ignores (its BerkeleyDB and
 * daemon life), each with what replaces it. They are hidden options, so that the option list shows only flags that
 * act; listed here rather than left out, so that an administrator reading postgrey's command line in an old init
 * script finds every flag of it in {@code --help}. Every hidden option is one of them: one added later is listed
 * without a change here.
 */
final class PostgreyOnlyHelp {

    static final String SECTION = "postgreyOnly";
    /** Two lines: picocli would wrap one at 80 columns without indenting the rest. */
    static final String HEADING = "%npostgrey's flags, accepted for compatibility and ignored with a warning,%n"
            + "each with what replaces it:%n";

    private PostgreyOnlyHelp() {
    }

    /** Adds the section after the option list of {@code cmd}'s help. */
    static void addTo(CommandLine cmd) {
        List<String> sections = new ArrayList<>(cmd.getHelpSectionKeys());
        sections.add(sections.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST) + 1, SECTION);
        cmd.setHelpSectionKeys(sections);
        cmd.getHelpSectionMap().put(SECTION, help -> {
            List<OptionSpec> shown = new ArrayList<>();
            for (OptionSpec o : help.commandSpec().options()) {
                if (o.hidden()) {
                    shown.add(OptionSpec.builder(o).hidden(false).build());
                }
            }
            if (shown.isEmpty()) {
                return "";
            }
            return help.createHeading(HEADING) + help.optionListExcludingGroups(shown);
        });
    }
}
