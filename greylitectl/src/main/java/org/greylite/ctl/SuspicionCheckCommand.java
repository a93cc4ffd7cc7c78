package org.greylite.ctl;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.greylite.suspicion.SuspicionFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl suspicion check FILE}: a lint for suspicion files. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Reports every line of FILE that does not load (unknown kind: ignored; malformed: discarded), "
                + "one per line as FILE:LINE: reason, the form editors jump to. Prints 'N rules, no problems' when "
                + "all load.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every line loads", "1:some lines do not load", "2:FILE cannot be read, or bad usage"})
final class SuspicionCheckCommand implements Callable<Integer> {

    @ParentCommand
    SuspicionCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The suspicion file.")
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SuspicionFile rules = parent.load(file, err, out::println);
        if (rules == null) {
            return GreyliteCtl.TROUBLE;
        }
        int n = rules.ruleCount();
        if (rules.problems().isEmpty()) {
            out.println(n + (n == 1 ? " rule" : " rules") + ", no problems");
            return 0;
        }
        int p = rules.problems().size();
        err.println(file + ": " + p + (p == 1 ? " line does" : " lines do") + " not load; " + n
                + (n == 1 ? " rule is" : " rules are") + " in force");
        return GreyliteCtl.PROBLEMS;
    }
}
