package dev.posthorn.codes.providers;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.codes.ResourceFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The documented bounces of the big mailbox providers, one file per provider under
 * {@code codes/providers/}, found by listing that directory (adding a provider is adding a file), and the
 * recognition of a pasted bounce: which provider sent it and which of its documented cases it is.
 */
public final class ProviderCatalogue {

    static final String DIRECTORY = "/codes/providers/";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static volatile ProviderCatalogue bundled;

    private record Compiled(Provider provider, ProviderEntry entry, ReplySpec reply, List<Pattern> patterns) {
    }

    private final Map<String, Provider> providers;
    private final List<Compiled> entries;

    private ProviderCatalogue(List<Provider> providers) {
        Map<String, Provider> byId = new LinkedHashMap<>();
        List<Compiled> compiled = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Provider provider : providers) {
            byId.put(provider.id(), provider);
            for (ProviderEntry entry : provider.entries()) {
                if (!ids.add(entry.id())) {
                    throw new IllegalStateException("provider entry id '" + entry.id() + "' is used twice");
                }
                compiled.add(new Compiled(provider, entry, reply(entry), patterns(entry)));
            }
        }
        this.providers = byId;
        this.entries = compiled;
    }

    /** The providers shipped in {@code codes/providers/} on the class path. */
    public static ProviderCatalogue bundled() {
        ProviderCatalogue c = bundled;
        if (c == null) {
            synchronized (ProviderCatalogue.class) {
                if (bundled == null) {
                    URL directory = ProviderCatalogue.class.getResource(DIRECTORY);
                    if (directory == null) {
                        throw new IllegalStateException("missing resource directory " + DIRECTORY);
                    }
                    bundled = from(directory);
                }
                c = bundled;
            }
        }
        return c;
    }

    /** Every {@code .json} file of a directory given as a file: or jar: URL, each one provider. */
    public static ProviderCatalogue from(URL directory) {
        List<Provider> providers = new ArrayList<>();
        String base = directory.toString().endsWith("/") ? directory.toString() : directory + "/";
        for (String name : ResourceFiles.namesIn(directory, ".json")) {
            providers.add(read(URI.create(base + name + ".json"), name));
        }
        return new ProviderCatalogue(providers);
    }

    private static Provider read(URI file, String name) {
        try (InputStream in = file.toURL().openStream()) {
            Provider provider = JSON.readValue(in, Provider.class);
            if (!provider.id().equals(name)) {
                throw new IllegalStateException("codes/providers/" + name + ".json names itself '" + provider.id() + "'");
            }
            return provider;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read codes/providers/" + name + ".json: " + e.getMessage(), e);
        }
    }

    private static ReplySpec reply(ProviderEntry entry) {
        try {
            return entry.replySpec();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(entry.id() + ": " + e.getMessage(), e);
        }
    }

    private static List<Pattern> patterns(ProviderEntry entry) {
        if (entry.patterns().isEmpty()) {
            throw new IllegalStateException(entry.id() + ": no patterns");
        }
        try {
            return entry.patterns().stream()
                    .map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE))
                    .toList();
        } catch (PatternSyntaxException e) {
            throw new IllegalStateException(entry.id() + ": bad pattern: " + e.getMessage(), e);
        }
    }

    public List<Provider> providers() {
        return List.copyOf(providers.values());
    }

    public Optional<Provider> provider(String id) {
        return Optional.ofNullable(providers.get(id));
    }

    /**
     * The documented bounces found in {@code text}: a reply line, a multi-line reply or a whole bounce message.
     * An entry is found when one of its patterns matches and, if it names an enhanced code, that code is in the
     * text too (the same words come with 4.7.x as a deferral and 5.7.x as a refusal).
     */
    public List<ProviderMatch> recognise(String text) {
        String flat = BounceText.flatten(text);
        List<String> codes = BounceText.enhancedCodes(flat);
        List<ProviderMatch> found = new ArrayList<>();
        for (Compiled c : entries) {
            boolean codeAgrees = !c.reply().hasEnhanced() || codes.stream().anyMatch(c.reply()::covers);
            if (codeAgrees && c.patterns().stream().anyMatch(p -> p.matcher(flat).find())) {
                found.add(new ProviderMatch(c.provider(), c.entry()));
            }
        }
        return found;
    }
}
