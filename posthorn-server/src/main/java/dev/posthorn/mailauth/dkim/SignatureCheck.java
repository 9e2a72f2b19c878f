package dev.posthorn.mailauth.dkim;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The steps of verifying a DKIM-style signature that DKIM and ARC share (RFC 6376 §6.1, RFC 8617 §5.2). */
public final class SignatureCheck {

    private SignatureCheck() {
    }

    /**
     * Compares bh= with the body as received. Returns true when the signature covers only part of the body
     * (l= shorter than it): the caller must not let such a signature pass as a whole.
     */
    public static boolean checkBodyHash(ParsedSignature sig, BodyHashes hashes) throws SignatureFailure {
        BodyCanonicalizer.BodyHash hash = hashes == null ? null : hashes.get(sig.bodyHashSpec());
        if (hash == null) {
            throw ParsedSignature.perm("the header section was too large to verify");
        }
        if (sig.length() >= 0 && hash.canonicalLength() < sig.length()) {
            throw new SignatureFailure(DkimResult.Verdict.FAIL, "l= is longer than the body");
        }
        if (!MessageDigest.isEqual(hash.sha256(), sig.bodyHash())) {
            throw new SignatureFailure(DkimResult.Verdict.FAIL, "body hash did not verify");
        }
        return sig.length() >= 0 && hash.canonicalLength() > sig.length();
    }

    /** Fetches and checks the key at {@code selector._domainkey.domain} (RFC 6376 §3.6.2, §6.1.2). */
    public static KeyRecord fetchKey(String domain, String selector, DkimAlgorithm algorithm, String identity,
            AuthDns dns) throws SignatureFailure {
        String name = selector + "._domainkey." + domain;
        DnsAnswer answer = dns.txt(name);
        List<String> records = switch (answer) {
            case DnsAnswer.TempError t -> throw new SignatureFailure(DkimResult.Verdict.TEMPERROR,
                    "key lookup failed: " + t.reason());
            case DnsAnswer.NoRecords n -> throw ParsedSignature.perm("no key for selector " + selector);
            case DnsAnswer.Records r -> r.values();
        };
        String lastProblem = "no usable key record";
        for (String text : records) {
            KeyRecord key;
            try {
                key = KeyRecord.parse(text);
            } catch (IllegalArgumentException e) {
                lastProblem = "bad key record: " + e.getMessage();
                continue;
            }
            if (key.revoked()) {
                throw ParsedSignature.perm("key revoked");
            }
            if (key.algorithm() != algorithm) {
                lastProblem = "key type k=" + key.algorithm().keyType() + " does not match a=" + algorithm.tag();
                continue;
            }
            if (!key.hashes().isEmpty() && !key.hashes().contains("sha256")) {
                lastProblem = "key does not allow sha256 (h=)";
                continue;
            }
            String weakness = algorithm.weakness(key.key());
            if (weakness != null) {
                throw ParsedSignature.perm(weakness);
            }
            if (key.strictIdentity() && identity != null) {
                String idDomain = identity.substring(identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
                if (!idDomain.equals(domain)) {
                    throw ParsedSignature.perm("key requires i= in d= exactly (t=s)");
                }
            }
            return key;
        }
        throw ParsedSignature.perm(lastProblem);
    }

    /**
     * The data a signature covers: the fields named in {@code names}, each taken from the bottom up (RFC 6376
     * §5.4.2; a name listed more often than it occurs contributes nothing the extra times), canonicalized,
     * then the signature field itself with b= empty and without its CRLF.
     */
    public static byte[] headerData(MessageHeader header, List<String> names, boolean relaxed, String signatureRaw,
            HeaderField exclude) {
        Map<String, List<HeaderField>> byName = new HashMap<>();
        for (HeaderField f : header.fields()) {
            if (f != exclude) {
                byName.computeIfAbsent(f.lowerName(), k -> new ArrayList<>()).add(f);
            }
        }
        Map<String, Integer> used = new HashMap<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        for (String name : names) {
            List<HeaderField> candidates = byName.getOrDefault(name, List.of());
            int taken = used.merge(name, 1, Integer::sum);
            int index = candidates.size() - taken;
            if (index >= 0) {
                out.writeBytes(HeaderCanon.canonicalize(candidates.get(index), relaxed)
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        out.writeBytes(HeaderCanon.canonicalize(HeaderCanon.withEmptySignature(signatureRaw), relaxed)
                .getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /** Verifies b= over the header data with the key. */
    public static void checkSignature(ParsedSignature sig, KeyRecord key, MessageHeader header)
            throws SignatureFailure {
        byte[] data = headerData(header, sig.signedHeaders(), sig.headerRelaxed(), sig.field().raw(), sig.field());
        boolean ok;
        try {
            ok = sig.algorithm().verify(key.key(), data, sig.signature());
        } catch (GeneralSecurityException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new SignatureFailure(DkimResult.Verdict.FAIL, "signature did not verify");
        }
    }
}
