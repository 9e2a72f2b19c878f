package dev.posthorn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code posthorn <command>}. Each command is its own class in this package. */
@Command(name = "posthorn", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Posthorn: a durable SMTP server that explains its replies.")
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, also used by tests to run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand(new ServeCommand());
        cli.addSubcommand(new QueueCommand());
        cli.addSubcommand(new ConfigCommand());
        cli.addSubcommand(new UserCommand());
        cli.addSubcommand(new DomainCommand());
        cli.addSubcommand(new TokenCommand());
        cli.addSubcommand(new ExplainCommand());
        cli.addSubcommand(new CompareCommand());
        cli.addSubcommand(new ProbeCommand());
        cli.addSubcommand(new TlsReportCommand());
        cli.addSubcommand(new TlsaRecordCommand());
        cli.addSubcommand(new DkimCommand());
        cli.addSubcommand(new DnsCommand());
        cli.setParameterExceptionHandler(Main::oneLineUsageError);
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Bad flags and values: one line that names the problem, exit code 2 (not a page of usage). */
    private static int oneLineUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        return 2;
    }
}
