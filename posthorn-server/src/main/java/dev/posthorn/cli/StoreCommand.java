package dev.posthorn.cli;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.store.UserStoreException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that works on the directory (users, domains, tokens): opens the store the configuration names,
 * runs, closes it. A refusal or an unreachable store is one line on stderr and exit code 1; a bad
 * configuration is exit code 2, as for {@code serve}.
 */
abstract class StoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions storeOptions;

    /** The configuration as loaded, for commands that also report what it says. */
    PosthornConfig config;

    @Override
    public final Integer call() {
        try {
            config = storeOptions.load();
        } catch (ConfigException e) {
            return fail(e.getMessage(), 2);
        }
        String command = spec.qualifiedName().replaceFirst("^posthorn ", "");
        try (StoreBackend backend = StoreBackend.openForCommand(config.store, Path.of(config.server.dataDir), command)) {
            run(backend.directory(), spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return 0;
        } catch (UserStoreException | IllegalArgumentException | UserInputException
                 | UncheckedIOException e) { // a StoreException is an UncheckedIOException
            return fail(e.getMessage(), 1);
        }
    }

    private int fail(String message, int code) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": " + message);
        err.flush();
        return code;
    }

    abstract void run(DirectoryStore store, PrintWriter out);

    /** Input the command cannot use (a password that is missing or does not match). */
    static final class UserInputException extends RuntimeException {
        UserInputException(String message) {
            super(message);
        }
    }
}
