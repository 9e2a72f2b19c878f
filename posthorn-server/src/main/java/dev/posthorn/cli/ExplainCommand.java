package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Lookup;
import dev.posthorn.codes.NearbyCodes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn explain CODE}: what a reply code means, when it is seen and how to fix it. CODE may be a
 * whole reply line from a log, or several lines pasted from a session or a bounce (a multiline reply is read as
 * one reply); then every code found is explained, and anything that breaks the rules for enhanced codes
 * (RFC 2034 §4) or multiline replies (RFC 5321 §4.2.1) is reported. Exit 2 when nothing could be explained.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain an SMTP reply code (530), an enhanced status code (5.7.0) or a pasted reply line.")
final class ExplainCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "CODE",
            description = "A code, or reply lines such as \"530 5.7.0 Authentication required\".")
    List<String> input;

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
        NearbyCodes nearby = new NearbyCodes(catalogue);
        // Unquoted "explain 530 5.7.0 Authentication required" arrives as several words: one line again.
        Lookup lookup = Lookup.parse(String.join(" ", input));
        if (lookup.isEmpty()) {
            err.println("posthorn explain: " + nearby.notACode(lookup.input()));
            return 2;
        }
        List<CodeEntry> entries = new ArrayList<>();
        for (String code : lookup.codes()) {
            catalogue.find(code).ifPresentOrElse(entries::add,
                    () -> err.println("posthorn explain: " + nearby.hint(code)));
        }
        nearby.notes(lookup, entries).forEach(note -> err.println("posthorn explain: " + note));
        if (entries.isEmpty()) {
            return 2;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(options.format.explain(catalogue, entries));
        out.flush();
        return 0;
    }
}
