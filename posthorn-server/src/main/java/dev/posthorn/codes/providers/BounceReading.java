package dev.posthorn.codes.providers;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Lookup;
import dev.posthorn.codes.NearbyCodes;
import java.util.ArrayList;
import java.util.List;

/**
 * What a pasted reply line or bounce says, for {@code posthorn explain} and the web's explain page alike: the
 * provider bounces it matches, the catalogue entries of its codes, and notes on codes the catalogue does not
 * know or whose classes disagree.
 */
public record BounceReading(String input, List<ProviderMatch> providers, List<CodeEntry> entries, List<String> notes) {

    public BounceReading {
        providers = List.copyOf(providers);
        entries = List.copyOf(entries);
        notes = List.copyOf(notes);
    }

    public static BounceReading of(Catalogue catalogue, ProviderCatalogue providerCatalogue, String text) {
        NearbyCodes nearby = new NearbyCodes(catalogue);
        Lookup lookup = Lookup.parse(text);
        List<ProviderMatch> providers = providerCatalogue.recognise(text);
        List<CodeEntry> entries = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (lookup.isEmpty() && providers.isEmpty()) {
            notes.add(nearby.notACode(lookup.input()));
            return new BounceReading(text, providers, entries, notes);
        }
        for (String code : lookup.codes()) {
            // A provider's own code (Microsoft's 5.7.708) gets the registry note too; its advice explains it.
            catalogue.find(code).ifPresentOrElse(entries::add, () -> notes.add(nearby.hint(code)));
        }
        notes.addAll(nearby.notes(lookup, entries));
        if (entries.isEmpty() && !providers.isEmpty()) {
            // "[PH01] ..." pasted without its reply code: the provider's entry says which codes it comes with.
            providers.getFirst().entry().replySpec().catalogueCodes()
                    .forEach(c -> catalogue.find(c).ifPresent(entries::add));
        }
        return new BounceReading(text, providers, entries, notes);
    }

    /** Nothing to explain: no known code and no provider bounce. */
    public boolean isEmpty() {
        return entries.isEmpty() && providers.isEmpty();
    }
}
