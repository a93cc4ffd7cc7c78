package org.greylite.ctl;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.StoreException;
import org.greylite.text.ClientText;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code greylitectl db check}: SQLite's check of every page of the greydb. A greydb damaged in a part that few
 * decisions read (a page in its middle overwritten, a copy that lost a block) opens and decides as if whole, and
 * fails only the decisions that reach the damage, each letting its mail through ungreylisted; the programs cannot
 * read every page at start without delaying it on a large greydb, so this is the command to run from a monitor.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Have SQLite read and check every page of the greydb (PRAGMA integrity_check, in a read transaction: "
                + "the programs go on deciding meanwhile). Exit status 0 and 'ok' when it is whole; 1 with what SQLite found "
                + "and what to do when it is damaged. A PostgreSQL greydb is its server's to check (data checksums, "
                + "amcheck): said so, status 0.")
final class DbCheckCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Option(names = "--max-problems", paramLabel = "N", defaultValue = "100",
            description = "Stop after N problems (default ${DEFAULT-VALUE}): a badly damaged greydb has thousands.")
    int maxProblems;

    @Override
    public Integer call() {
        if (maxProblems < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--max-problems must be 1 or more, not " + maxProblems);
        }
        GreydbAdmin.PageCheck check;
        String where;
        try (GreydbAdmin admin = db.openForReading()) {
            where = admin.describe();
            check = admin.checkPages(maxProblems);
        } catch (StoreException e) {
            if (!e.damagedFile()) {
                throw e;
            }
            // Damaged where opening it reads (a copy cut short): the answer this command is asked for, not trouble
            // running it, so the status a monitor reads as "damaged".
            PrintWriter err = spec.commandLine().getErr();
            err.println("greylitectl: " + ClientText.printable(e.getMessage()));
            err.flush();
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (check == null) {
            out.println(where + ": a PostgreSQL greydb's pages are its server's to check (data checksums, the amcheck"
                    + " extension); nothing for greylitectl to read");
            out.flush();
            return 0;
        }
        if (check.problems().isEmpty()) {
            out.println(where + ": ok");
            out.flush();
            return 0;
        }
        for (String problem : check.problems()) {
            for (String line : problem.split("\n")) { // SQLite writes some of its findings over several lines
                out.println(ClientText.printable(line));
            }
        }
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        err.println("greylitectl: " + where + ": " + check.problems().size()
                + (check.problems().size() >= maxProblems ? " or more" : "") + " problem(s): " + check.advice());
        err.flush();
        return 1;
    }
}
