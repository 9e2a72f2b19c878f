package dev.posthorn.testing;

import dev.posthorn.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One {@code posthorn ...} command run in-process, as the launcher runs it: its exit code and what it printed. */
public record CliRun(int exit, String out, String err) {

    /** Runs {@code posthorn <args>}. */
    public static CliRun posthorn(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }
}
