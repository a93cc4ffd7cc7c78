package org.greylite.store;

import java.nio.file.Path;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The JDBC URL of an SQLite greydb file, which names that file whatever characters its path holds. Given as
 * {@code jdbc:sqlite:/path}, the driver takes the text after the first {@code ?} as its own parameters: a greydb
 * {@code /var/db/g?journal_mode=delete.db} was made as {@code /var/db/g}, {@code db init} said it ready under the
 * name given, and the other commands found no greydb there. Here the path is an SQLite URI ({@code file:}) with the
 * characters a URI gives a meaning ({@code %}, {@code ?}, {@code #}) escaped, opened with URIs on
 * ({@link #uris(SQLiteConfig)}).
 */
public final class SqliteFileUrl {

    private SqliteFileUrl() {
    }

    /** {@code jdbc:sqlite:file:PATH}, the absolute path with {@code %}, {@code ?} and {@code #} escaped. */
    public static String of(Path file) {
        return of(file, "");
    }

    /** As {@link #of(Path)}, with SQLite URI parameters ({@code mode=ro}, say) after a {@code ?}, unless empty. */
    public static String of(Path file, String parameters) {
        String path = file.toAbsolutePath().toString();
        StringBuilder out = new StringBuilder("jdbc:sqlite:file:");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            switch (c) {
                case '%' -> out.append("%25");
                case '?' -> out.append("%3F");
                case '#' -> out.append("%23");
                default -> out.append(c);
            }
        }
        return parameters.isEmpty() ? out.toString() : out.append('?').append(parameters).toString();
    }

    /** {@code config}, opening SQLite URIs as such (without, a {@code file:} name would be a file of that name). */
    public static SQLiteConfig uris(SQLiteConfig config) {
        config.setOpenMode(SQLiteOpenMode.OPEN_URI);
        return config;
    }
}
