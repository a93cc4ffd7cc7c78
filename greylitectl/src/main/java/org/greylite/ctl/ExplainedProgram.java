package org.greylite.ctl;

import java.util.EnumSet;
import java.util.Set;

import org.greylite.suspicion.Behaviour;

/**
 * The program whose decision {@code suspicion explain --as PROGRAM} explains, and what of a client it can know. The
 * rules are one language everywhere, but the programs are told different things: greydaemon's requests carry no PTR
 * name and no HELO, so its {@code r} lines and {@code h:} patterns cannot be evaluated and never match, negated or
 * not (SPEC §5). Explained as greylited sees a client, a greydaemon client without {@code --ptr} matched the shipped
 * examples' {@code r ^$} ("no PTR name"), a line greydaemon skips: explain said N = 4 and suspicious where greydaemon
 * decided by a line further down, or by none.
 */
enum ExplainedProgram {
    GREYLITED("greylited", true, true, EnumSet.allOf(Behaviour.class)),
    GREYLITE("greylite", true, true, EnumSet.allOf(Behaviour.class)),
    /** Postfix tells its name and HELO; no variable reaches the rules, and it watches no dialogue of its own. */
    GREYLITE_POLICY("greylite-policy", true, false, EnumSet.of(Behaviour.RETRYINTERVAL)),
    /** Told the address, the sender and the recipients, nothing else. */
    GREYDAEMON("greydaemon", false, false, EnumSet.of(Behaviour.RETRYINTERVAL));

    private final String command;
    private final boolean namesKnown;
    private final boolean variables;
    private final Set<Behaviour> behaviours;

    ExplainedProgram(String command, boolean namesKnown, boolean variables, Set<Behaviour> behaviours) {
        this.command = command;
        this.namesKnown = namesKnown;
        this.variables = variables;
        this.behaviours = behaviours;
    }

    /** The program's name, as {@code --as} takes it. */
    String command() {
        return command;
    }

    /** Whether the program is told the client's PTR name and HELO at all. */
    boolean namesKnown() {
        return namesKnown;
    }

    /** Whether variables (tcprules', an access file's, dnsblenv's) reach the program's rules. */
    boolean seesVariables() {
        return variables;
    }

    /** Whether the program can see the client show {@code b}. */
    boolean sees(Behaviour b) {
        return behaviours.contains(b);
    }

    /** The program {@code --as} names, or null. */
    static ExplainedProgram named(String name) {
        for (ExplainedProgram p : values()) {
            if (p.command.equals(name)) {
                return p;
            }
        }
        return null;
    }
}
