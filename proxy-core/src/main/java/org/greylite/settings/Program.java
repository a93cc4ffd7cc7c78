package org.greylite.settings;

/**
 * The programs that read settings. A setting's environment variable is honoured only by the programs it
 * names ({@link Setting#honouredBy()}), so the reference page can say who reads what, and a program asks
 * the model for its own values rather than keeping a list of its own.
 */
public enum Program {
    /** The standalone proxy: flags, then the configuration file, then the variable, then the default. */
    GREYLITED("greylited"),
    /** The greylite(8) tcpserver wrapper: the environment only (SPEC section 4), no flags. */
    GREYLITE("greylite"),
    /**
     * The administration tool: its own flags, then the variables of the greydb, logging, and those its commands
     * share with the engine (the lifetimes, the client key, the GeoIP database); the lifetimes the greydb recorded
     * come before the defaults.
     */
    GREYLITECTL("greylitectl"),
    /**
     * The Postfix policy service: postgrey's flags and the engine's, then the decision variables, then the
     * default.
     */
    POLICY("greylite-policy"),
    /**
     * The greydaemon drop-in: greydaemon's own flags ({@code -m -g -t -s -w}, which win), then the decision
     * variables, then greydaemon's defaults where they differ from the engine's.
     */
    GREYDAEMON("greydaemon");

    private final String command;

    Program(String command) {
        this.command = command;
    }

    /** The name an administrator types. */
    public String command() {
        return command;
    }
}
