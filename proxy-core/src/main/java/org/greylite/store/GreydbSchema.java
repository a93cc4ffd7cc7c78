package org.greylite.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The statements of {@code greydb.sql} (shipped in the jar), one per element, comments removed. */
public final class GreydbSchema {

    private GreydbSchema() {
    }

    public static List<String> statements() {
        try (InputStream in = GreydbSchema.class.getResourceAsStream("greydb.sql")) {
            if (in == null) {
                throw new IllegalStateException("greydb.sql is missing from the jar; rebuild with mvn package");
            }
            return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a script on the semicolons that end statements; the schema keeps ';' out of its comments and strings. */
    static List<String> split(String script) {
        StringBuilder noComments = new StringBuilder();
        for (String line : script.split("\n")) {
            int dash = line.indexOf("--");
            noComments.append(dash < 0 ? line : line.substring(0, dash)).append('\n');
        }
        List<String> out = new ArrayList<>();
        for (String stmt : noComments.toString().split(";")) {
            if (!stmt.isBlank()) {
                out.add(stmt.trim());
            }
        }
        return out;
    }
}
