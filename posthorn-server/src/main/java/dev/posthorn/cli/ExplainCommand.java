package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.Page;
import dev.posthorn.codes.providers.BounceReading;
import dev.posthorn.codes.providers.ProviderAdvice;
import dev.posthorn.codes.providers.ProviderCatalogue;
import java.io.PrintWriter;
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
 * (RFC 2034 §4) or multiline replies (RFC 5321 §4.2.1) is reported. A bounce that a big provider documents
 * (Gmail's {@code 550-5.7.26 ... gsmtp}) gets that provider's advice first. Exit 2 when nothing could be explained.
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
        // Unquoted "explain 530 5.7.0 Authentication required" arrives as several words: one line again.
        BounceReading reading = BounceReading.of(catalogue, ProviderCatalogue.bundled(), String.join(" ", input));
        reading.notes().forEach(note -> err.println("posthorn explain: " + note));
        if (reading.isEmpty()) {
            return 2;
        }
        ProviderAdvice advice = new ProviderAdvice(catalogue.language());
        List<Page.Section> first = reading.providers().stream().map(advice::section).toList();
        PrintWriter out = spec.commandLine().getOut();
        out.print(options.format.explain(catalogue, reading.entries(), first));
        out.flush();
        return 0;
    }
}
