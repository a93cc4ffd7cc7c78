package org.greylite.ctl;

import picocli.CommandLine.Command;

/** {@code greylitectl db blacklist add|remove CIDR}: clients whose every RCPT gets 554. */
@Command(name = "blacklist", mixinStandardHelpOptions = true,
        description = "Add an address or CIDR block to the blacklist (every RCPT gets 554 5.7.1), or remove one. "
                + "A more specific whitelist entry wins over it. Takes effect in a running greylited within seconds.")
final class DbBlacklistCommand extends DbWhitelistCommand {

    @Override
    boolean black() {
        return true;
    }
}
