package dev.posthorn.cli;

import picocli.CommandLine.Command;

/** {@code posthorn serve}: runs the server. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the SMTP server.")
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
