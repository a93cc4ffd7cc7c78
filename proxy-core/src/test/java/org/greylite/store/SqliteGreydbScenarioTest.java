package org.greylite.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;

/** The common greydb story on an SQLite file. */
class SqliteGreydbScenarioTest extends GreydbScenarioTest {

    @TempDir
    Path dir;

    @Override
    GreydbLocation freshGreydb() {
        return GreydbLocation.parse(dir.resolve("greylite.db").toString());
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(5), 1, Map.of());
    }
}
