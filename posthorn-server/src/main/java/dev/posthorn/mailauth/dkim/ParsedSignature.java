package dev.posthorn.mailauth.dkim;

import dev.posthorn.mailauth.DomainNames;
import dev.posthorn.mailauth.HeaderField;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A DKIM-Signature (RFC 6376 §3.5) or ARC-Message-Signature (RFC 8617 §4.1.2) field, parsed and checked for
 * what makes it unusable before any DNS is asked: missing tags, unknown algorithm, i= outside d=, h= without
 * From (DKIM), x= not after t=.
 */
public record ParsedSignature(HeaderField field, Tags tags, DkimAlgorithm algorithm, String domain, String selector,
                              String identity, boolean headerRelaxed, boolean bodyRelaxed, List<String> signedHeaders,
                              long length, byte[] bodyHash, byte[] signature, Long timestamp, Long expiry,
                              int instance) {

    public enum Kind { DKIM, ARC_MESSAGE }

    public BodyHashSpec bodyHashSpec() {
        return new BodyHashSpec(bodyRelaxed, length);
    }

    /** The first characters of b=, to tell signatures apart in Authentication-Results (RFC 6008). */
    public String signaturePrefix() {
        String b = Tags.compactBase64(tags.get("b"));
        return b == null ? null : b.substring(0, Math.min(8, b.length()));
    }

    public static ParsedSignature parse(HeaderField field, Kind kind) throws SignatureFailure {
        Tags tags;
        try {
            tags = Tags.parse(field.rawValue());
        } catch (IllegalArgumentException e) {
            throw perm("malformed signature: " + e.getMessage());
        }
        int instance = 0;
        if (kind == Kind.DKIM) {
            if (!"1".equals(tags.get("v"))) {
                throw perm("v= missing or not 1");
            }
        } else {
            instance = ArcInstance.parse(tags.get("i"));
        }
        for (String required : List.of("a", "b", "bh", "d", "h", "s")) {
            if (tags.get(required) == null || tags.get(required).isEmpty()) {
                throw perm("tag " + required + "= missing");
            }
        }
        String a = tags.get("a");
        if (a.equalsIgnoreCase("rsa-sha1")) {
            throw perm("rsa-sha1 is not accepted (RFC 8301)");
        }
        DkimAlgorithm algorithm = DkimAlgorithm.ofTag(a);
        if (algorithm == null) {
            throw perm("unknown algorithm a=" + a);
        }
        String domain = tags.get("d").toLowerCase(Locale.ROOT);
        String selector = tags.get("s");
        if (!DomainNames.isValid(domain) || !selector.matches("[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?")) {
            throw perm("d= or s= is not a valid name");
        }
        String canon = tags.get("c", "simple/simple").toLowerCase(Locale.ROOT);
        String[] parts = canon.split("/", -1);
        if (parts.length > 2 || Arrays.stream(parts).anyMatch(p -> !p.equals("simple") && !p.equals("relaxed"))) {
            throw perm("unknown canonicalization c=" + canon);
        }
        boolean headerRelaxed = parts[0].equals("relaxed");
        boolean bodyRelaxed = parts.length == 2 && parts[1].equals("relaxed");
        List<String> signed = Arrays.stream(tags.get("h").split(":")).map(h -> h.strip().toLowerCase(Locale.ROOT))
                .toList();
        if (kind == Kind.DKIM && !signed.contains("from")) {
            throw perm("From is not signed (h= lacks from)");
        }
        if (kind == Kind.ARC_MESSAGE && signed.contains("arc-seal")) {
            throw perm("an ARC-Message-Signature must not sign ARC-Seal");
        }
        String identity = null;
        if (kind == Kind.DKIM) {
            identity = tags.get("i", "@" + domain);
            int at = identity.lastIndexOf('@');
            String idDomain = at < 0 ? "" : identity.substring(at + 1).toLowerCase(Locale.ROOT);
            if (at < 0 || !(idDomain.equals(domain) || idDomain.endsWith("." + domain))) {
                throw perm("i= is not in d= or a subdomain of it");
            }
        }
        long length = -1;
        if (tags.has("l")) {
            String l = tags.get("l");
            if (!l.matches("[0-9]{1,18}")) {
                throw perm("bad l=");
            }
            length = Long.parseLong(l);
        }
        Long timestamp = number(tags, "t");
        Long expiry = number(tags, "x");
        if (timestamp != null && expiry != null && expiry <= timestamp) {
            throw perm("x= is not after t=");
        }
        if (tags.has("q") && Arrays.stream(tags.get("q").split(":")).noneMatch(q -> q.strip().equals("dns/txt"))) {
            throw perm("no supported query method in q=");
        }
        byte[] bodyHash = base64(tags.get("bh"), "bh=");
        byte[] signature = base64(tags.get("b"), "b=");
        return new ParsedSignature(field, tags, algorithm, domain, selector, identity, headerRelaxed, bodyRelaxed,
                signed, length, bodyHash, signature, timestamp, expiry, instance);
    }

    private static Long number(Tags tags, String tag) throws SignatureFailure {
        if (!tags.has(tag)) {
            return null;
        }
        String v = tags.get(tag);
        if (!v.matches("[0-9]{1,12}")) {
            throw perm("bad " + tag + "=");
        }
        return Long.parseLong(v);
    }

    static byte[] base64(String value, String what) throws SignatureFailure {
        try {
            return Base64.getDecoder().decode(Tags.compactBase64(value));
        } catch (IllegalArgumentException e) {
            throw perm(what + " is not valid base64");
        }
    }

    static SignatureFailure perm(String reason) {
        return new SignatureFailure(DkimResult.Verdict.PERMERROR, reason);
    }
}
