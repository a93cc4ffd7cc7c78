package org.greylite.settings;

import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One setting, declared once for every program: its name (greylited's flag without {@code --}, and the
 * configuration file's key), the environment variable that supplies it and the programs that honour that
 * variable, its default, its stage and what it does. Programs never repeat any of this: greylited builds
 * its command line from it, the wrapper reads its environment through it.
 *
 * <p>A setting keeps its value as text until a program asks for it typed ({@link #parse}), because the
 * text is what the administrator wrote and what {@code --print-config} shows.
 *
 * @param <T> the type a program works with
 */
public final class Setting<T> {

    private final String name;
    private final boolean flag;
    private final String label;
    private final Stage stage;
    private final String variable;
    private final UnaryOperator<String> fromVariable;
    private final Set<Program> honouredBy;
    private final String defaultValue;
    private final Map<Program, String> programDefaults;
    private final Set<Program> computedBy;
    private final String description;
    private final Function<String, T> parser;

    private Setting(Builder<T> b) {
        this.name = Objects.requireNonNull(b.name, "name");
        this.flag = b.flag;
        this.label = b.label;
        this.stage = Objects.requireNonNull(b.stage, "stage of " + b.name);
        this.variable = b.variable;
        this.fromVariable = b.fromVariable;
        this.honouredBy = b.honouredBy.isEmpty() ? Set.of() : Set.copyOf(b.honouredBy);
        this.defaultValue = b.defaultValue;
        this.programDefaults = Map.copyOf(b.programDefaults);
        this.computedBy = b.computedBy.isEmpty() ? Set.of() : Set.copyOf(b.computedBy);
        this.description = Objects.requireNonNull(b.description, "description of " + b.name);
        this.parser = Objects.requireNonNull(b.parser, "parser of " + b.name);
        if (variable != null && honouredBy.isEmpty()) {
            throw new IllegalArgumentException(name + ": the variable " + variable + " is honoured by no program");
        }
        if (!flag && variable == null) {
            throw new IllegalArgumentException(name + ": neither a flag nor a variable");
        }
    }

    /** The name: the flag without {@code --} and the configuration file's key; for a variable-only setting, the variable. */
    public String name() {
        return name;
    }

    /** Whether greylited has a flag (and a configuration-file key) for it; false for a variable read by no flag. */
    public boolean hasFlag() {
        return flag;
    }

    /** {@code --name}, or null for a variable-only setting. */
    public String flag() {
        return flag ? "--" + name : null;
    }

    /** The flag's parameter label ({@code DURATION}, {@code FILE}), or null for an on/off setting. */
    public String label() {
        return label;
    }

    public Stage stage() {
        return stage;
    }

    /** The environment variable, or null. */
    public String variable() {
        return variable;
    }

    /** The programs that read {@link #variable()}; empty without one. */
    public Set<Program> honouredBy() {
        return honouredBy;
    }

    /** Whether {@code program} reads this setting's variable. */
    public boolean honouredBy(Program program) {
        return honouredBy.contains(program);
    }

    /**
     * The default as text, or null where there is none or a program computes it when it starts (greylited's
     * greydb in demo mode, the local host name).
     */
    public String defaultValue() {
        return defaultValue;
    }

    /**
     * The default {@code program} uses: its own where the model gives one (greylite(8)'s quieter log), else
     * {@link #defaultValue()}; null where {@code program} computes it when it starts (greylited's greydb, whose
     * default depends on demo mode).
     */
    public String defaultValue(Program program) {
        return computedBy.contains(program) ? null : programDefaults.getOrDefault(program, defaultValue);
    }

    /** Programs whose default differs from {@link #defaultValue()}, and theirs. */
    public Map<Program, String> programDefaults() {
        return programDefaults;
    }

    /**
     * What it does, one or two sentences, with the default stated once as a parenthetical starting with
     * {@code (default}: {@code ${DEFAULT-VALUE}} there stands for {@link #defaultValue()}.
     */
    public String description() {
        return description;
    }

    /**
     * The value {@code env} gives this setting for {@code program}, as text, or null when the program does not
     * honour the variable, or the variable is unset or says "unset" (a blank value, for most).
     */
    public String fromEnvironment(Map<String, String> env, Program program) {
        if (variable == null || !honouredBy(program)) {
            return null;
        }
        String raw = env.get(variable);
        return raw == null ? null : fromVariable.apply(raw);
    }

    /**
     * The typed value of {@code text}.
     *
     * @throws IllegalArgumentException when {@code text} is no value of this setting
     */
    public T parse(String text) {
        return parser.apply(text);
    }

    @Override
    public String toString() {
        return flag ? flag() : "$" + variable;
    }

    static <T> Builder<T> builder(String name, Function<String, T> parser) {
        return new Builder<>(name, parser);
    }

    /** Declares a setting; see {@link Settings}. */
    static final class Builder<T> {
        private final String name;
        private final Function<String, T> parser;
        private boolean flag = true;
        private String label;
        private Stage stage;
        private String variable;
        private UnaryOperator<String> fromVariable;
        private final Set<Program> honouredBy = EnumSet.noneOf(Program.class);
        private String defaultValue;
        private final Map<Program, String> programDefaults = new java.util.EnumMap<>(Program.class);
        private final Set<Program> computedBy = EnumSet.noneOf(Program.class);
        private String description;

        private Builder(String name, Function<String, T> parser) {
            this.name = name;
            this.parser = parser;
        }

        Builder<T> label(String l) {
            this.label = l;
            return this;
        }

        Builder<T> stage(Stage s) {
            this.stage = s;
            return this;
        }

        /** Read from {@code variable} by {@code programs}; a blank value counts as unset. */
        Builder<T> variable(String v, Program... programs) {
            return variable(v, x -> x.isBlank() ? null : x.strip(), programs);
        }

        /** Read from {@code variable} by {@code programs}, its value turned into the setting's text by {@code meaning} (null: unset). */
        Builder<T> variable(String v, UnaryOperator<String> meaning, Program... programs) {
            this.variable = v;
            this.fromVariable = meaning;
            this.honouredBy.addAll(java.util.List.of(programs));
            return this;
        }

        /** No flag: the variable is the setting (a password, a fact tcpserver hands over). */
        Builder<T> variableOnly() {
            this.flag = false;
            return this;
        }

        Builder<T> defaultValue(String d) {
            this.defaultValue = d;
            return this;
        }

        Builder<T> defaultFor(Program p, String d) {
            this.programDefaults.put(p, d);
            return this;
        }

        /** {@code p} works the default out when it starts; its description says how. */
        Builder<T> computedBy(Program p) {
            this.computedBy.add(p);
            return this;
        }

        Builder<T> doc(String d) {
            this.description = d;
            return this;
        }

        Setting<T> build() {
            return new Setting<>(this);
        }
    }
}
