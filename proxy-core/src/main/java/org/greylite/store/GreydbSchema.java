package org.greylite.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements of {@code greydb.sql} (SQLite) and {@code greydb-postgresql.sql} (shipped in the jar),
 * one per element, comments removed.
 */
public final class GreydbSchema {

    private GreydbSchema() {
    }

    /** Read once per process: every open of a greydb asks for them (the wrapper opens one in each session). */
    private static volatile List<String> statements;
    private static volatile java.util.Set<String> tables;

    public static List<String> statements() {
        List<String> s = statements;
        if (s == null) {
            s = List.copyOf(load("greydb.sql"));
            statements = s;
        }
        return s;
    }

    /** The statements of {@code greydb-postgresql.sql}: the same tables, in PostgreSQL's types. */
    public static List<String> postgresqlStatements() {
        return load("greydb-postgresql.sql");
    }

    private static List<String> load(String name) {
        try (InputStream in = GreydbSchema.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar; rebuild with mvn package");
            }
            return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tables the schema creates (from its {@code CREATE TABLE IF NOT EXISTS} statements). */
    public static java.util.Set<String> tables() {
        java.util.Set<String> t = tables;
        if (t == null) {
            t = java.util.Collections.unmodifiableSet(readTables());
            tables = t;
        }
        return t;
    }

    private static java.util.Set<String> readTables() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.util.regex.Pattern create = java.util.regex.Pattern.compile(
                "(?is)^CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+(\\w+).*");
        for (String s : statements()) {
            java.util.regex.Matcher m = create.matcher(s);
            if (m.matches()) {
                names.add(m.group(1));
            }
        }
        return names;
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
