package dev.posthorn.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code posthorn user}, {@code dkim}, {@code queue}): alone it prints
 * its usage, and its subcommands fail the same way (one line on stderr, exit code 1).
 */
abstract class CommandGroup implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public final void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Reports a subcommand's failure as one line, {@code posthorn <group> <subcommand>: <message>}, on stderr
     * and returns exit code 1: what scripts and the operator read, so every group says it alike.
     */
    static int fail(CommandSpec subcommand, String message) {
        PrintWriter err = subcommand.commandLine().getErr();
        err.println("posthorn " + subcommand.parent().name() + " " + subcommand.name() + ": " + message);
        err.flush();
        return 1;
    }
}
