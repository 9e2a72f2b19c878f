package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Comparison;
import dev.posthorn.codes.Lookup;
import dev.posthorn.codes.NearbyCodes;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code posthorn compare A B}: the comparison page of two codes, basic or enhanced, in any mix. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two SMTP reply codes or enhanced status codes (e.g. 220 530, 530 5.7.8).")
final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "The first code.")
    String first;

    @Parameters(index = "1", paramLabel = "B", description = "The second code.")
    String second;

    @Mixin
    CodeOutputOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Optional<Catalogue> loaded = CatalogueLoading.load(options.language, err);
        if (loaded.isEmpty()) {
            return 2;
        }
        Catalogue catalogue = loaded.get();
        Optional<CodeEntry> a = resolve(catalogue, first, err);
        Optional<CodeEntry> b = resolve(catalogue, second, err);
        if (a.isEmpty() || b.isEmpty()) {
            return 2;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(options.format.compare(catalogue, Comparison.of(catalogue, a.get(), b.get())));
        out.flush();
        return 0;
    }

    /** One code per side; a side holding a whole reply line ("530 5.7.0") is ambiguous and refused. */
    private static Optional<CodeEntry> resolve(Catalogue catalogue, String side, PrintWriter err) {
        NearbyCodes nearby = new NearbyCodes(catalogue);
        Lookup lookup = Lookup.parse(side);
        if (lookup.codes().size() != 1) {
            err.println("posthorn compare: " + (lookup.isEmpty() ? nearby.notACode(side)
                    : nearby.onePerSide(side, lookup.codes())));
            return Optional.empty();
        }
        String code = lookup.codes().getFirst();
        Optional<CodeEntry> entry = catalogue.find(code);
        if (entry.isEmpty()) {
            err.println("posthorn compare: " + nearby.hint(code));
        }
        return entry;
    }
}
