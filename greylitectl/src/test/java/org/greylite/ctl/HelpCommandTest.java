package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code greylitectl help COMMAND...} shows the help of the command named, however deep. */
class HelpCommandTest {

    @Test
    void helpDbListIsTheHelpOfDbList() {
        Ctl.Run help = Ctl.run(Map.of(), "help", "db", "list");
        assertEquals(0, help.exit(), help.toString());
        assertEquals(Ctl.run(Map.of(), "db", "list", "--help").out(), help.out());
        assertEquals(Ctl.run(Map.of(), "suspicion", "explain", "--help").out(),
                Ctl.run(Map.of(), "help", "suspicion", "explain").out());
        assertEquals(Ctl.run(Map.of(), "db", "--help").out(), Ctl.run(Map.of(), "help", "db").out());
        assertEquals(Ctl.run(Map.of(), "--help").out(), Ctl.run(Map.of(), "help").out());
    }

    @Test
    void aCommandThatIsNotThereIsSaidWithStatus2() {
        Ctl.Run help = Ctl.run(Map.of(), "help", "db", "lsit");
        assertEquals(2, help.exit(), help.toString());
        assertEquals("", help.out());
        assertEquals("greylitectl: no command 'db lsit'; greylitectl db --help lists the commands\n", help.err());
    }
}
