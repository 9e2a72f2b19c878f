package dev.posthorn.codes;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The reply-code catalogue in one language: every basic code and every registered enhanced status code,
 * with the language-independent facts of {@code codes/catalogue.json} joined to the words of
 * {@code codes/lang/<language>.json}.
 */
public final class Catalogue {

    static final String FACTS = "/codes/catalogue.json";
    static final String LANG_DIR = "/codes/lang/";
    public static final String DEFAULT_LANGUAGE = "en";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private static final Map<String, Catalogue> LOADED = new ConcurrentHashMap<>();
    private static volatile Facts facts;

    /** status-code = class "." subject "." detail (RFC 3463 §2): 1 to 3 digits, no leading zeros. */
    public static final Pattern ENHANCED_SYNTAX = Pattern.compile("[245]\\.(?:0|[1-9]\\d{0,2})\\.(?:0|[1-9]\\d{0,2})");

    /** Orders "X.2.10" after "X.2.9": by subject, then detail, as numbers. */
    static final Comparator<String> ENHANCED_ORDER = Comparator
            .<String>comparingInt(k -> Integer.parseInt(k.split("\\.")[1]))
            .thenComparingInt(k -> Integer.parseInt(k.split("\\.")[2]));

    record Facts(Map<String, CodeFacts> basic, Map<String, CodeFacts> enhanced) {
    }

    private final LanguagePack language;

    private Catalogue(LanguagePack language) {
        this.language = language;
    }

    /** The catalogue in {@code language}; throws {@link UnknownLanguageException} when there is no file for it. */
    public static Catalogue load(String language) {
        return LOADED.computeIfAbsent(language, l -> new Catalogue(readLanguage(l)));
    }

    public LanguagePack language() {
        return language;
    }

    /** The basic codes in numeric order: "211", "214", ... */
    public List<String> basicCodes() {
        return new ArrayList<>(facts().basic().keySet());
    }

    /** The enhanced codes as stored, class left open: "X.0.0", "X.1.0", ... */
    public List<String> enhancedKeys() {
        return new ArrayList<>(facts().enhanced().keySet());
    }

    /** Facts of a stored key ("530" or "X.7.0"), if the catalogue has it. */
    public Optional<CodeFacts> facts(String key) {
        CodeFacts found = key.startsWith("X.") ? facts().enhanced().get(key) : facts().basic().get(key);
        return Optional.ofNullable(found);
    }

    /**
     * The entry for a basic code ("530") or an enhanced code with its class ("5.7.0"). Empty when the code is
     * not in the catalogue, when an enhanced code is not meaningful with that class (2.7.8), or when it is not
     * written as RFC 3463 writes codes (5.7.01).
     */
    public Optional<CodeEntry> find(String code) {
        if (code.matches("[2-5]\\d\\d")) {
            CodeFacts f = facts().basic().get(code);
            return f == null ? Optional.empty()
                    : Optional.of(new CodeEntry(code, code, ReplyClass.of(code.charAt(0) - '0'), f,
                            language.basic().get(code)));
        }
        // RFC 3463 §2: subject and detail are "0" or a number without leading zeros; "5.7.01" is not 5.7.1.
        if (ENHANCED_SYNTAX.matcher(code).matches()) {
            String key = "X" + code.substring(1);
            CodeFacts f = facts().enhanced().get(key);
            int digit = code.charAt(0) - '0';
            if (f == null || !f.classes().contains(digit)) {
                return Optional.empty();
            }
            return Optional.of(new CodeEntry(code, key, ReplyClass.of(digit), f, language.enhanced().get(key)));
        }
        return Optional.empty();
    }

    /**
     * A related code as the reader should see it: "X.7.1" next to 530 or 5.7.0 becomes 5.7.1, the class of the
     * code being explained when the related code is meaningful with it, else its first meaningful class.
     */
    public String resolveRelated(String related, CodeEntry from) {
        if (!related.startsWith("X.")) {
            return related;
        }
        List<Integer> classes = facts().enhanced().get(related).classes();
        int digit = from.replyClass().digit();
        int chosen = classes.contains(digit) ? digit : classes.getFirst();
        return chosen + related.substring(1);
    }

    /** The entries of the related codes, resolved for {@code from}. */
    public List<CodeEntry> related(CodeEntry from) {
        return from.facts().related().stream()
                .map(r -> find(resolveRelated(r, from)).orElseThrow())
                .toList();
    }

    /** Languages with a file under {@code codes/lang/}, found by listing the directory (in a jar or not). */
    public static List<String> languages() {
        URL anchor = Catalogue.class.getResource(LANG_DIR + DEFAULT_LANGUAGE + ".json");
        if (anchor == null) {
            throw new IllegalStateException("missing resource " + LANG_DIR + DEFAULT_LANGUAGE + ".json");
        }
        return ResourceFiles.namesBeside(anchor, ".json");
    }

    private static Facts facts() {
        Facts f = facts;
        if (f == null) {
            synchronized (Catalogue.class) {
                if (facts == null) {
                    facts = readFacts();
                }
                f = facts;
            }
        }
        return f;
    }

    private static Facts readFacts() {
        Map<String, Map<String, CodeFacts>> raw = read(FACTS, new TypeReference<>() { });
        Map<String, CodeFacts> basic = new TreeMap<>(raw.get("basic"));
        Map<String, CodeFacts> enhanced = new TreeMap<>(ENHANCED_ORDER);
        enhanced.putAll(raw.get("enhanced"));
        return new Facts(basic, enhanced);
    }

    private static LanguagePack readLanguage(String language) {
        if (!language.matches("[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")) {
            throw new UnknownLanguageException(language, languages());
        }
        String resource = LANG_DIR + language + ".json";
        if (Catalogue.class.getResource(resource) == null) {
            throw new UnknownLanguageException(language, languages());
        }
        return read(resource, new TypeReference<LanguagePack>() { });
    }

    private static <T> T read(String resource, TypeReference<T> type) {
        try (InputStream in = Catalogue.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return JSON.readValue(in, type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Asked for a language that has no file; carries the ones that do, for the error message. */
    public static final class UnknownLanguageException extends RuntimeException {
        private final List<String> available;

        UnknownLanguageException(String language, List<String> available) {
            super("no texts for language '" + language + "'; available: " + String.join(", ", available));
            this.available = List.copyOf(available);
        }

        public List<String> available() {
            return available;
        }
    }
}
