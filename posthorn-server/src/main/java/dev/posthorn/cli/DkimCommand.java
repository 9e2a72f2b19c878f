package dev.posthorn.cli;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeyStore;
import dev.posthorn.policy.PgDkimKeys;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.mailauth.records.ExpectedRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code posthorn dkim keygen|list|activate|import}: DKIM keys where {@code [store]} puts them: under
 * {@code <data-dir>/dkim}, or with {@code --config} naming PostgreSQL in the shared database, from any node. A
 * running server picks up new keys and a new active selector at its next message (files) or within a second
 * (database), without a restart.
 */
@Command(name = "dkim", mixinStandardHelpOptions = true, description = "Manage DKIM signing keys.",
        subcommands = {DkimCommand.Keygen.class, DkimCommand.ListKeys.class, DkimCommand.Activate.class,
            DkimCommand.Import.class})
public final class DkimCommand extends CommandGroup {

    /**
     * An action on the keys of the configured store; I/O, database and argument errors are one line (exit code
     * 1).
     */
    abstract static class KeyAction extends Subcommand {
        @Mixin
        StoreOptions storeOptions;

        @Override
        final void execute(PrintWriter out) throws IOException {
            PosthornConfig config;
            try {
                config = storeOptions.load();
            } catch (ConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            Path dataDir = Path.of(config.server.dataDir);
            if (!config.store.isPostgresql()) {
                run(DkimKeys.under(dataDir), dataDir, out); // nothing else of the store to open
                return;
            }
            try (StoreBackend backend = StoreBackend.openForCommand(config.store, dataDir, "dkim")) {
                run(PgDkimKeys.forStore(backend, dataDir), dataDir, out);
            }
        }

        @Override
        final boolean expected(Exception e) {
            // A StoreException (the database) is an UncheckedIOException.
            return e instanceof IOException || e instanceof UncheckedIOException || e instanceof IllegalArgumentException;
        }

        abstract void run(DkimKeyStore keys, Path dataDir, PrintWriter out) throws IOException;
    }

    static void printRecord(DkimKeys.KeyInfo key, PrintWriter out) {
        out.println(new ExpectedRecord(key.recordName(), "TXT", ExpectedRecord.strings(key.txtRecord()), "", java.util.Map.of())
                .zoneLine());
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Create a key (RSA 2048 or Ed25519) and print the TXT record to publish.")
    static final class Keygen extends KeyAction {
        @Parameters(paramLabel = "DOMAIN", description = "The signing domain (d=), usually the From domain.")
        String domain;
        @Option(names = "--selector", paramLabel = "S", description = "Selector (default: ph<yyyymm>r or ...e).")
        String selector;
        @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "rsa",
                description = "rsa (2048 bits) or ed25519 (default: ${DEFAULT-VALUE}).")
        String algorithm;

        @Override
        void run(DkimKeyStore keys, Path dataDir, PrintWriter out) throws IOException {
            DkimAlgorithm alg = DkimAlgorithm.ofKeyType(algorithm);
            if (alg == null) {
                throw new IllegalArgumentException("--algorithm must be rsa or ed25519, not " + algorithm);
            }
            String s = selector != null ? selector : DkimKeys.defaultSelector(alg, LocalDate.now());
            DkimKeys.KeyInfo key = keys.generate(domain, s, alg);
            out.println("Created " + (key.file() != null ? key.file().toString()
                    : key.recordName() + " in " + keys.describe()) + (key.active() ? " (active: signs from now on)"
                    : " (not active yet: publish the record, then 'posthorn dkim activate " + key.domain() + " " + s + "')"));
            out.println("Publish this TXT record:");
            printRecord(key, out);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys and which ones sign.")
    static final class ListKeys extends KeyAction {
        @Option(names = "--records", description = "Also print each key's TXT record.")
        boolean records;

        @Override
        void run(DkimKeyStore keys, Path dataDir, PrintWriter out) throws IOException {
            List<DkimKeys.KeyInfo> all = keys.list();
            if (all.isEmpty()) {
                out.println("No DKIM keys " + (keys instanceof DkimKeys ? "under " : "in ") + keys.describe() + " (create one with 'posthorn dkim keygen DOMAIN').");
                return;
            }
            out.printf("%-30s %-16s %-8s %s%n", "DOMAIN", "SELECTOR", "ALG", "STATE");
            for (DkimKeys.KeyInfo key : all) {
                out.printf("%-30s %-16s %-8s %s%n", key.domain(), key.selector(), key.algorithm().keyType(),
                        key.active() ? "active" : "inactive");
                if (records) {
                    printRecord(key, out);
                }
            }
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
            description = "Sign with this selector from now on (rotation: publish the new key first).")
    static final class Activate extends KeyAction {
        @Parameters(index = "0", paramLabel = "DOMAIN")
        String domain;
        @Parameters(index = "1", paramLabel = "SELECTOR")
        String selector;

        @Override
        void run(DkimKeyStore keys, Path dataDir, PrintWriter out) throws IOException {
            DkimKeys.KeyInfo key = keys.activate(domain, selector);
            out.println("Mail from " + key.domain() + " is now signed with selector " + key.selector() + " ("
                    + key.algorithm().keyType() + ").");
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Copy a node's key files into the PostgreSQL store, once (a site moving to PostgreSQL).")
    static final class Import extends KeyAction {
        @Option(names = "--from-files", paramLabel = "DIR",
                description = "The dkim/ directory to read (default: <data-dir>/dkim).")
        Path from;

        @Override
        void run(DkimKeyStore keys, Path dataDir, PrintWriter out) throws IOException {
            if (!(keys instanceof PgDkimKeys database)) {
                throw new IllegalArgumentException("the keys are files already (" + keys.describe() + "): import is "
                        + "for [store] kind = \"postgresql\"; give --config naming it");
            }
            DkimKeys files = new DkimKeys(from != null ? from : dataDir.resolve("dkim"));
            List<PgDkimKeys.Imported> done = database.importFrom(files);
            if (done.isEmpty()) {
                out.println("No DKIM keys under " + files.root() + ": nothing to import.");
                return;
            }
            int added = 0;
            int conflicts = 0;
            for (PgDkimKeys.Imported i : done) {
                DkimKeys.KeyInfo key = i.key();
                out.printf("%-30s %-16s %-8s %s%n", key.domain(), key.selector(), key.algorithm().keyType(),
                        switch (i.outcome()) {
                            case SAME_KEY -> "skipped: same key";
                            case DIFFERENT_KEY -> "NOT imported: the database holds a different key under this"
                                    + " selector (check which one DNS publishes)";
                            case IMPORTED -> i.active() ? "imported, active"
                                    : key.active() ? "imported, inactive: the database has another active key"
                                    : "imported, inactive";
                        });
                added += i.added() ? 1 : 0;
                conflicts += i.outcome() == PgDkimKeys.Outcome.DIFFERENT_KEY ? 1 : 0;
            }
            out.println(added + " of " + done.size() + " keys imported into " + keys.describe() + ".");
            if (conflicts > 0) {
                // Exit code 1: a key that signs on one node is not the database's; whichever DNS publishes stays.
                out.flush();
                throw new IllegalArgumentException(conflicts + " key(s) not imported: the database holds a different"
                        + " key under the same selector (see above); keep the one DNS publishes (posthorn dns"
                        + " --config ...) and give the other a new selector");
            }
        }
    }
}
