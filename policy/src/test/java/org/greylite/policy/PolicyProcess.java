package org.greylite.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.greylite.testing.JavaProgram;

/** greylite-policy as a real process ({@link JavaProgram}), not reading this host's postgrey whitelists or DBFILE. */
final class PolicyProcess {

    private PolicyProcess() {
    }

    /** Starts it with {@code args} after its own: empty whitelists, no shipped list, a greydb in {@code dir}. */
    static JavaProgram start(Path dir, String... args) throws IOException {
        return start(dir, Map.of(), args);
    }

    /** As {@link #start(Path, String...)}, with {@code environment} added to the process's (a faked wall clock, say). */
    static JavaProgram start(Path dir, Map<String, String> environment, String... args) throws IOException {
        Path empty = dir.resolve("empty.whitelist");
        Files.writeString(empty, "# nothing\n");
        List<String> all = new ArrayList<>(List.of("--whitelist-clients=" + empty, "--whitelist-recipients=" + empty,
                "--no-shipped-whitelist", "--db=" + dir.resolve("greylite.db")));
        all.addAll(List.of(args));
        return JavaProgram.start(GreylitePolicy.class, all, e -> {
            e.remove("DBFILE");
            e.putAll(environment);
        });
    }
}
