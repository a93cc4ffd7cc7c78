package org.greylite.ctl;

import java.util.concurrent.Callable;

import org.greylite.store.GreydbAdmin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl db purge}: what greylited's scheduled clean-up does, now. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = "Remove expired rows now (greylited does it on its own every --purge-interval) and print how many, "
                + "with the lifetimes used and where each came from (flag, environment, greydb, default).")
final class DbPurgeCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (GreydbAdmin admin = db.open()) {
            Lifetimes lifetimes = db.lifetimes(admin);
            int n = admin.purgeExpired(db.now(admin), lifetimes.retryWindow().duration(), lifetimes.whitelistLifetime().duration());
            spec.commandLine().getOut().println("purged " + n + (n == 1 ? " expired row" : " expired rows")
                    + " (" + lifetimes.expiry() + ")");
        }
        return 0;
    }
}
