package dev.posthorn.cli;

import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.UserStoreException;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code posthorn user add|list|del|passwd|alias|admin}: manages accounts in {@code <data-dir>/users.json}, or
 * in the shared database when {@code --config} names a PostgreSQL store. Works whether or not a server runs:
 * file writes are atomic and locked and the server reloads the file; database changes are committed
 * transactions every node reads at its next look-up. Errors are one line on stderr with exit code 1.
 */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage mail accounts and aliases.",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Delete.class,
            UserCommand.Passwd.class, UserCommand.Alias.class, UserCommand.Admin.class})
public final class UserCommand extends CommandGroup {

    /** Reading the password: one line of stdin, or twice from the console without echo. */
    abstract static class PasswordAction extends StoreCommand {
        @Option(names = "--password-stdin", description = "Read the password as one line from standard input.")
        boolean passwordStdin;

        char[] readPassword() {
            if (passwordStdin) {
                return readStdinLine();
            }
            Console console = System.console();
            if (console == null) {
                throw new UserInputException("no console to ask for the password: use --password-stdin");
            }
            char[] first = console.readPassword("Password: ");
            char[] second = console.readPassword("Repeat password: ");
            if (first == null || second == null) {
                throw new UserInputException("no password given");
            }
            try {
                if (!Arrays.equals(first, second)) {
                    throw new UserInputException("the passwords do not match");
                }
            } finally {
                Arrays.fill(second, '\0');
            }
            return checked(first);
        }

        private static char[] readStdinLine() {
            // Not closed: System.in belongs to the process.
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            try {
                String line = in.readLine();
                if (line == null) {
                    throw new UserInputException("no password on standard input");
                }
                return checked(line.toCharArray());
            } catch (IOException e) {
                throw new UserInputException("cannot read the password: " + e.getMessage());
            }
        }

        private static char[] checked(char[] password) {
            if (password.length == 0) {
                throw new UserInputException("empty password");
            }
            return password;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an account.")
    static final class Add extends PasswordAction {
        @Parameters(paramLabel = "ADDRESS", description = "The account address, local@domain.")
        String address;
        @Option(names = "--no-password", description = "A mailbox that receives mail but cannot log in.")
        boolean noPassword;
        @Option(names = "--admin", description = "The account may administer the server (console, API).")
        boolean admin;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            if (store.exists(address)) {
                // Fail before asking for a password that would be thrown away.
                throw new UserStoreException("address already exists: " + address);
            }
            char[] password = noPassword ? null : readPassword();
            try {
                store.add(address, password, admin);
            } finally {
                if (password != null) {
                    Arrays.fill(password, '\0');
                }
            }
            out.println("added " + store.accountFor(address).orElse(address) + (admin ? " (admin)" : ""));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List accounts and their aliases.")
    static final class ListUsers extends StoreCommand {
        @Override
        void run(DirectoryStore store, PrintWriter out) {
            for (String account : store.list()) {
                StringBuilder line = new StringBuilder(account);
                if (store.passwordHash(account).isEmpty()) {
                    line.append(" (no login)");
                }
                if (store.isAdmin(account)) {
                    line.append(" (admin)");
                }
                List<String> aliases = store.aliasesOf(account);
                if (!aliases.isEmpty()) {
                    line.append(" aliases: ").append(String.join(", ", aliases));
                }
                out.println(line);
            }
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Delete an account with its aliases, or a single alias.")
    static final class Delete extends StoreCommand {
        @Parameters(paramLabel = "ADDRESS")
        String address;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            store.delete(address);
            out.println("deleted " + address.toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, description = "Set an account's password.")
    static final class Passwd extends PasswordAction {
        @Parameters(paramLabel = "ADDRESS")
        String address;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            if (store.accountFor(address).filter(account -> account.equalsIgnoreCase(address)).isEmpty()) {
                throw new UserStoreException("unknown account: " + address);
            }
            char[] password = readPassword();
            try {
                store.setPassword(address, password);
            } finally {
                Arrays.fill(password, '\0');
            }
            out.println("password changed for " + address.toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Command(name = "alias", mixinStandardHelpOptions = true, description = "Add an alias to an account.")
    static final class Alias extends StoreCommand {
        @Parameters(index = "0", paramLabel = "ACCOUNT")
        String account;
        @Parameters(index = "1", paramLabel = "ALIAS")
        String alias;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            store.addAlias(account, alias);
            out.println("added alias " + alias.toLowerCase(java.util.Locale.ROOT) + " -> "
                    + account.toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true,
            description = "Grant (on) or withdraw (off) an account's right to administer the server.")
    static final class Admin extends StoreCommand {
        @Parameters(index = "0", paramLabel = "ADDRESS")
        String address;
        @Parameters(index = "1", paramLabel = "on|off")
        Switch value;

        enum Switch { on, off }

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            store.setAdmin(address, value == Switch.on);
            out.println(address.toLowerCase(java.util.Locale.ROOT) + (value == Switch.on ? " is an admin" : " is not an admin"));
        }
    }
}
