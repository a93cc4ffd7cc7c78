package org.greylite.store;

/**
 * What a PostgreSQL greydb is opened for, which decides what a server that cannot be reached does to the
 * program ({@link PostgresGreydb}): the store code is the same for both.
 */
enum PostgresUse {

    /**
     * A program that runs for long (greylited, greylite, greylite-policy, greydaemon): it starts while the server
     * is down and answers RCPTs as greydb failures meanwhile; a thread of its own tries the server again until it
     * answers, and the loss and the return are logged once each. Connecting may take the whole busy timeout.
     */
    SERVICE,

    /**
     * A command run once by an administrator (greylitectl): the server is tried once, straight away, and an
     * outage is the command's error, in one line. Nothing is logged, nothing is tried again in the background:
     * the command is about to end, and its user is waiting for it.
     */
    COMMAND,

    /**
     * A command that reads or edits a greydb that must be there already (every greylitectl command but
     * {@code db init}), as {@link #COMMAND} otherwise: a database without the greydb's {@code triplet} table is
     * refused, not given the tables. A mistyped or forgotten database name (the user's own database, say) must
     * not receive a blacklist entry where no program looks; SQLite files are checked so before they are opened.
     */
    EXISTING_GREYDB_COMMAND;

    /**
     * The longest a command waits for the server to take the connection and log it in. A PostgreSQL server
     * that is up answers within milliseconds; one that is down either refuses at once or (a host that is off,
     * a firewall that drops) never answers, and an administrator should not wait the whole busy timeout to learn
     * that. Three seconds still cover a slow network and a TLS handshake.
     */
    static final int COMMAND_CONNECT_SECONDS = 3;

    /** The connect (and login) timeout, unless the URL gives one: the busy timeout, capped for a command. */
    int connectSeconds(int busySeconds) {
        return this == SERVICE ? busySeconds : Math.min(busySeconds, COMMAND_CONNECT_SECONDS);
    }

    /** Whether a program keeps trying a lost server in the background (and logs the loss and the return). */
    boolean retriesInBackground() {
        return this == SERVICE;
    }

    /** Whether a database without the greydb's tables is given them, rather than refused. */
    boolean createsTables() {
        return this != EXISTING_GREYDB_COMMAND;
    }
}
