package org.greylite.dist;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The entry point of {@code greylite.jar}: {@code java -jar greylite.jar PROGRAM [ARG...]} runs one of the
 * programs, exactly as its {@code bin/} launcher would (same arguments, environment, exit status). The jar
 * holds only this class; its manifest's {@code Class-Path} names the jars in {@code lib/} beside it.
 */
public final class Programs {

    static final String USAGE = String.join("\n",
            "usage: java -jar greylite.jar PROGRAM [ARG...]",
            "programs:",
            "  greylited        the standalone greylisting proxy (greylited --help)",
            "  greylitectl      administration: greydb and suspicion files (greylitectl --help)",
            "  greylite-policy  Postfix policy service for greylisting, postgrey's drop-in (greylite-policy --help)",
            "  greylite         the greylite(8) UCSPI wrapper, for tcpserver run scripts",
            "  ucspi2socket     UCSPI post-module: ucspi2socket ADDR [PORT]",
            "  dnsblenv         UCSPI pre-module: dnsblenv PROGRAM [ARG...]",
            "  greydaemon       greydaemon's UDP service for patched qmail-smtpd: greydaemon [flags] IPADDR[:PORT] SAVEFILE");

    /** Exit status for a missing or unknown program name. */
    static final int USAGE_ERROR = 2;

    private Programs() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status >= 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the program {@code args[0]} names with the rest of the arguments; returns -1 once it has been
     * started (it exits by itself), or an exit status when there is nothing to run.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(USAGE);
            return USAGE_ERROR;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "greylited":
                org.greylite.daemon.Greylited.main(rest);
                return -1;
            case "greylitectl":
                org.greylite.ctl.GreyliteCtl.main(rest);
                return -1;
            case "greylite-policy":
                org.greylite.policy.GreylitePolicy.main(rest);
                return -1;
            case "greylite":
                org.greylite.wrapper.Greylite.main(rest);
                return -1;
            case "ucspi2socket":
                org.greylite.ucspi.Ucspi2Socket.main(rest);
                return -1;
            case "dnsblenv":
                org.greylite.ucspi.DnsblEnv.main(rest);
                return -1;
            case "greydaemon":
                org.greylite.greydaemon.GreyDaemon.main(rest);
                return -1;
            case "-h":
            case "--help":
            case "help":
                out.println(USAGE);
                return 0;
            default:
                err.println("greylite.jar: no program named '" + args[0] + "'\n" + USAGE);
                return USAGE_ERROR;
        }
    }
}
