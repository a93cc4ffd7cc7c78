package org.greylite.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.greylite.config.FileErrors;
import org.greylite.suspicion.Problem;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.geoip.CountryLocator;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code greylitectl suspicion ...}: the suspicion file's commands. */
@Command(name = "suspicion", mixinStandardHelpOptions = true,
        description = "Check a suspicion file, or explain which of its lines decides for a client.",
        subcommands = {SuspicionCheckCommand.class, SuspicionExplainCommand.class})
final class SuspicionCommand {

    @ParentCommand
    GreyliteCtl root;

    /**
     * The suspicion file as greylited would load it, with the GeoIP database the environment names: each line
     * that does not load goes to {@code problems}, then a warning on {@code err} when g lines have no usable
     * database.
     *
     * @return the rules, or null when the file cannot be read (said on {@code err})
     */
    SuspicionFile load(Path file, PrintWriter err, Consumer<Problem> problems) {
        StringBuilder why = new StringBuilder();
        CountryLocator geo = GeoIp.open(root.env(), why);
        SuspicionFile rules;
        try {
            rules = SuspicionFile.load(file, geo);
        } catch (IOException e) {
            err.println("greylitectl: " + file + ": cannot read: " + FileErrors.describe(file, e));
            return null;
        }
        rules.problems().forEach(problems);
        GeoIp.warnIfUnusable(rules, geo, why.toString(), err);
        return rules;
    }
}
