package dev.posthorn.cli;

import dev.posthorn.store.Addresses;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.UserStoreException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code posthorn domain add|list|del}: hosted domains kept in the store, beside {@code server.domains} of each
 * node's configuration. With a PostgreSQL store every node hosts a domain added here at its next look-up.
 */
@Command(name = "domain", mixinStandardHelpOptions = true, description = "Manage hosted domains.",
        subcommands = {DomainCommand.Add.class, DomainCommand.ListDomains.class, DomainCommand.Delete.class})
public final class DomainCommand extends CommandGroup {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Host a domain.")
    static final class Add extends StoreCommand {
        @Parameters(paramLabel = "DOMAIN")
        String domain;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            String name = Addresses.normalizeDomain(domain);
            if (!store.addDomain(name)) {
                throw new UserStoreException("domain already exists: " + name);
            }
            out.println("added " + name);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List hosted domains: the store's, and those of server.domains in --config.")
    static final class ListDomains extends StoreCommand {
        @Override
        void run(DirectoryStore store, PrintWriter out) {
            List<String> stored = store.domains();
            TreeSet<String> all = new TreeSet<>(stored);
            config.server.domains.forEach(d -> all.add(d.toLowerCase(Locale.ROOT)));
            for (String domain : all) {
                out.println(stored.contains(domain) ? domain : domain + " (server.domains)");
            }
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Stop hosting a domain kept in the store (its accounts are kept).")
    static final class Delete extends StoreCommand {
        @Parameters(paramLabel = "DOMAIN")
        String domain;

        @Override
        void run(DirectoryStore store, PrintWriter out) {
            String name = Addresses.normalizeDomain(domain);
            store.deleteDomain(name);
            out.println("deleted " + name);
            if (config.server.domains.stream().anyMatch(name::equalsIgnoreCase)) {
                // The node whose configuration lists it still hosts it, and with PostgreSQL adds it back at start.
                PrintWriter err = spec.commandLine().getErr();
                err.println(spec.qualifiedName() + ": " + name + " is still in server.domains of the configuration;"
                        + " remove it there (on every node) to stop hosting it");
                err.flush();
            }
        }
    }
}
