package dev.posthorn.mailauth.dmarc;

import java.io.IOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Public Suffix List (publicsuffix.org format, as Debian's {@code publicsuffix} package ships it in
 * {@code /usr/share/publicsuffix/public_suffix_list.dat}), for DMARC's organizational domain (RFC 7489 §3.2):
 * the public suffix plus one label. Rules: plain, wildcard ({@code *.ck}) and exception ({@code !www.ck}); the
 * implicit rule "*" makes an unlisted TLD a suffix. Without the file, {@link #fallback()} knows no rules but
 * "*", so the organizational domain is the last two labels (documented, and logged by the server): good enough
 * to find a policy, never to align two domains (see {@link #known()}).
 */
public final class PublicSuffixList {

    public static final Path DEBIAN = Path.of("/usr/share/publicsuffix/public_suffix_list.dat");

    private final Set<String> rules;
    private final Set<String> wildcards;
    private final Set<String> exceptions;

    private final boolean known;

    private PublicSuffixList(Set<String> rules, Set<String> wildcards, Set<String> exceptions, boolean known) {
        this.rules = rules;
        this.wildcards = wildcards;
        this.exceptions = exceptions;
        this.known = known;
    }

    public static PublicSuffixList load(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    public static PublicSuffixList parse(List<String> lines) {
        Set<String> rules = new HashSet<>();
        Set<String> wildcards = new HashSet<>();
        Set<String> exceptions = new HashSet<>();
        for (String line : lines) {
            String rule = line.strip();
            int space = rule.indexOf(' ');
            if (space > 0) {
                rule = rule.substring(0, space); // only the first word counts
            }
            if (rule.isEmpty() || rule.startsWith("//")) {
                continue;
            }
            rule = ascii(rule.startsWith("!") ? rule.substring(1) : rule.startsWith("*.") ? rule.substring(2) : rule,
                    rule.startsWith("!") ? "!" : rule.startsWith("*.") ? "*." : "");
            if (rule.startsWith("!")) {
                exceptions.add(rule.substring(1));
            } else if (rule.startsWith("*.")) {
                wildcards.add(rule.substring(2));
            } else {
                rules.add(rule);
            }
        }
        return new PublicSuffixList(rules, wildcards, exceptions, true);
    }

    private static String ascii(String name, String prefix) {
        if (name.chars().allMatch(c -> c < 128)) {
            return prefix + name.toLowerCase(Locale.ROOT); // most rules: no IDN conversion needed
        }
        try {
            return prefix + IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return prefix + name.toLowerCase(Locale.ROOT);
        }
    }

    /** No list: every TLD is a public suffix, nothing more. */
    public static PublicSuffixList fallback() {
        return new PublicSuffixList(Set.of(), Set.of(), Set.of(), false);
    }

    /**
     * Whether the suffixes are known (a list was read). Without them "bank.co.uk" and "attacker.co.uk" share
     * the guessed organizational domain "co.uk", so relaxed alignment (RFC 7489 §3.1) must not rely on it.
     */
    public boolean known() {
        return known;
    }

    public int size() {
        return rules.size() + wildcards.size() + exceptions.size();
    }

    /** The public suffix of a domain (lower case, no trailing dot). */
    public String publicSuffix(String domain) {
        String[] labels = domain.toLowerCase(Locale.ROOT).split("\\.");
        // Walk from the longest candidate to the shortest; the first (longest) match wins, exceptions first.
        for (int i = 0; i < labels.length; i++) {
            String candidate = String.join(".", java.util.Arrays.copyOfRange(labels, i, labels.length));
            if (exceptions.contains(candidate)) {
                return String.join(".", java.util.Arrays.copyOfRange(labels, i + 1, labels.length));
            }
            if (rules.contains(candidate)) {
                return candidate;
            }
            if (i + 1 < labels.length) {
                String parent = String.join(".", java.util.Arrays.copyOfRange(labels, i + 1, labels.length));
                if (wildcards.contains(parent)) {
                    return candidate;
                }
            }
        }
        return labels[labels.length - 1]; // the implicit "*" rule
    }

    /** RFC 7489 §3.2: the public suffix and one more label; the domain itself when it is a public suffix. */
    public String organizationalDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        String suffix = publicSuffix(d);
        if (d.equals(suffix)) {
            return d;
        }
        String rest = d.substring(0, d.length() - suffix.length() - 1);
        int dot = rest.lastIndexOf('.');
        return (dot < 0 ? rest : rest.substring(dot + 1)) + "." + suffix;
    }
}
