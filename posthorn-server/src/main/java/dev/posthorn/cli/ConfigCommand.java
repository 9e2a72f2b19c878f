package dev.posthorn.cli;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.ConfigProblem;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code posthorn config check}: validates posthorn.toml and names each bad key and its fix. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Work with posthorn.toml.",
        subcommands = ConfigCommand.Check.class)
final class ConfigCommand extends CommandGroup {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a configuration file (default: ./posthorn.toml if present).")
    static final class Check implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "file to check")
        Path config;

        @Override
        public Integer call() {
            Path file = config;
            if (file == null && Files.exists(Path.of("posthorn.toml"))) {
                file = Path.of("posthorn.toml");
            }
            try {
                ConfigLoader.load(file);
            } catch (ConfigException e) {
                PrintWriter err = spec.commandLine().getErr();
                for (ConfigProblem problem : e.problems()) {
                    err.println("error: " + problem);
                }
                err.flush();
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println((file == null ? "embedded defaults" : file.toString()) + ": OK");
            out.flush();
            return 0;
        }
    }
}
