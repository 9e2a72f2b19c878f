package dev.posthorn.cli;

import dev.posthorn.store.ApiToken;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.IssuedToken;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code posthorn token create|list|revoke}: API tokens for the console and the REST API. The token is printed
 * once, by {@code create}, alone on standard output (so {@code TOKEN=$(posthorn token create ...)} works); the
 * store keeps only its hash.
 */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage API tokens.",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
public final class TokenCommand extends CommandGroup {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a token for an account.")
    static final class Create extends StoreCommand {
        @Parameters(paramLabel = "ACCOUNT")
        String account;
        @Option(names = "--name", required = true, paramLabel = "TEXT", description = "What the token is for.")
        String name;
        @Option(names = "--expires-days", paramLabel = "N", description = "Days until it expires (default: never).")
        Integer expiresDays;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            if (expiresDays != null && expiresDays < 1) {
                throw new IllegalArgumentException("--expires-days must be at least 1");
            }
            Instant expires = expiresDays == null ? null : Instant.now().plus(Duration.ofDays(expiresDays));
            IssuedToken issued = store.createToken(account, name, expires);
            out.println(issued.secret());
            PrintWriter err = spec.commandLine().getErr();
            err.println("token " + issued.token().id() + " for " + issued.token().account()
                    + ": shown this once, the server keeps only its hash");
            err.flush();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class ListTokens extends StoreCommand {
        @Override
        void run(DirectoryStore store, PrintWriter out) {
            for (ApiToken t : store.tokens()) {
                out.println(t.id() + "  " + t.account() + "  \"" + t.name() + "\"  created " + TIME.format(t.createdAt())
                        + (t.expiresAt() == null ? "" : (t.expiredAt(Instant.now()) ? "  expired " : "  expires ")
                                + TIME.format(t.expiresAt())));
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by its id.")
    static final class Revoke extends StoreCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            store.revokeToken(id);
            out.println("revoked " + id);
        }
    }
}
