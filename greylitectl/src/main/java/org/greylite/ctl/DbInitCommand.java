package org.greylite.ctl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbSchema;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code greylitectl db init}: creates the greydb from greydb.sql (PostgreSQL: greydb-postgresql.sql), or
 * completes an older one. Idempotent.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create the greydb (schema: greydb.sql; for PostgreSQL greydb-postgresql.sql), or add what an "
                + "older one lacks. Safe to repeat.")
final class DbInitCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path sqlite = db.location() instanceof GreydbLocation.Sqlite s ? s.file().toAbsolutePath() : null;
        boolean folderThere = sqlite == null || Files.isDirectory(sqlite.getParent());
        try (GreydbAdmin admin = db.create()) {
            spec.commandLine().getOut().println(admin.describe() + ": ready (tables " + String.join(", ", GreydbSchema.tables()) + ")");
        }
        if (sqlite != null) {
            RootOwnedGreydb.warning(sqlite, !folderThere)
                    .ifPresent(w -> spec.commandLine().getErr().println("greylitectl: warning: " + w));
        }
        return 0;
    }
}
