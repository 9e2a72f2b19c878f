package dev.posthorn.cli;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.records.ExpectedRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code posthorn dkim keygen|list|activate}: DKIM keys under {@code <data-dir>/dkim}. A running server picks up
 * new keys and a new active selector at its next message, without a restart.
 */
@Command(name = "dkim", mixinStandardHelpOptions = true, description = "Manage DKIM signing keys.",
        subcommands = {DkimCommand.Keygen.class, DkimCommand.ListKeys.class, DkimCommand.Activate.class})
public final class DkimCommand extends CommandGroup {

    static final class DataDir {
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "posthorn-data",
                description = "Data directory holding dkim/ (default: ${DEFAULT-VALUE}).")
        Path dir;
    }

    /** An action on the keys under {@code --data-dir}; I/O and argument errors are one line (exit code 1). */
    abstract static class KeyAction extends Subcommand {
        @Mixin
        DataDir dataDir;

        @Override
        final void execute(PrintWriter out) throws IOException {
            run(DkimKeys.under(dataDir.dir), out);
        }

        @Override
        final boolean expected(Exception e) {
            return e instanceof IOException || e instanceof IllegalArgumentException;
        }

        abstract void run(DkimKeys keys, PrintWriter out) throws IOException;
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
        void run(DkimKeys keys, PrintWriter out) throws IOException {
            DkimAlgorithm alg = DkimAlgorithm.ofKeyType(algorithm);
            if (alg == null) {
                throw new IllegalArgumentException("--algorithm must be rsa or ed25519, not " + algorithm);
            }
            String s = selector != null ? selector : DkimKeys.defaultSelector(alg, LocalDate.now());
            DkimKeys.KeyInfo key = keys.generate(domain, s, alg);
            out.println("Created " + key.file() + (key.active() ? " (active: signs from now on)"
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
        void run(DkimKeys keys, PrintWriter out) throws IOException {
            List<DkimKeys.KeyInfo> all = keys.list();
            if (all.isEmpty()) {
                out.println("No DKIM keys under " + keys.root() + " (create one with 'posthorn dkim keygen DOMAIN').");
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
        void run(DkimKeys keys, PrintWriter out) throws IOException {
            DkimKeys.KeyInfo key = keys.activate(domain, selector);
            out.println("Mail from " + key.domain() + " is now signed with selector " + key.selector() + " ("
                    + key.algorithm().keyType() + ").");
        }
    }
}
