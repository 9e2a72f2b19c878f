package dev.posthorn.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
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
     * A subcommand that writes to stdout and fails as {@link #fail} says for the errors its group expects (a
     * missing key, an unknown user, a bad argument); anything else propagates as the bug it is.
     */
    abstract static class Subcommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try {
                execute(out);
                out.flush();
                return 0;
            } catch (Exception e) {
                if (!expected(e)) {
                    throw e;
                }
                return fail(spec, e.getMessage());
            }
        }

        abstract void execute(PrintWriter out) throws Exception;

        /** Whether {@code e} is a failure to report to the operator in one line. */
        abstract boolean expected(Exception e);
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
