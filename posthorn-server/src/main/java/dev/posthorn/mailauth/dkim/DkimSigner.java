package dev.posthorn.mailauth.dkim;

import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Makes DKIM-Signature fields (RFC 6376 §5): relaxed/relaxed, the default field list below for the fields the
 * message has, and From listed once more than it occurs (oversigned), so that no From can be added above it
 * without breaking the signature.
 */
public final class DkimSigner {

    /** Fields worth signing when present (RFC 6376 §5.4.1), List-Unsubscribe-Post as RFC 8058 §4 asks. */
    public static final List<String> DEFAULT_FIELDS = List.of("from", "sender", "reply-to", "subject", "date",
            "message-id", "to", "cc", "mime-version", "content-type", "content-transfer-encoding", "content-id",
            "content-description", "in-reply-to", "references", "resent-date", "resent-from", "resent-sender",
            "resent-to", "resent-cc", "resent-message-id", "list-id", "list-help", "list-unsubscribe",
            "list-unsubscribe-post", "list-subscribe", "list-post", "list-owner", "list-archive");
    private static final Set<String> OVERSIGNED = Set.of("from");

    private DkimSigner() {
    }

    /** The fields to sign for this header: each present field once per occurrence, From once more. */
    public static List<String> fieldsToSign(MessageHeader header, List<String> candidates) {
        List<String> names = new ArrayList<>();
        for (String name : candidates) {
            long count = header.fields().stream().filter(f -> f.is(name)).count();
            for (long i = 0; i < count; i++) {
                names.add(name);
            }
            if (OVERSIGNED.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** A complete DKIM-Signature field, folded, ending in CRLF. */
    public static String sign(MessageHeader header, BodyCanonicalizer.BodyHash relaxedBody, SigningKey key,
            Instant now) throws GeneralSecurityException {
        return sign(header, relaxedBody, key, now, DEFAULT_FIELDS);
    }

    /** A complete DKIM-Signature field over those of {@code candidates} the header has, folded, ending in CRLF. */
    public static String sign(MessageHeader header, BodyCanonicalizer.BodyHash relaxedBody, SigningKey key,
            Instant now, List<String> candidates) throws GeneralSecurityException {
        List<String> names = fieldsToSign(header, candidates);
        String tags = "v=1; a=" + key.algorithm().tag() + "; c=relaxed/relaxed; d=" + key.domain() + "; s="
                + key.selector() + ";\r\n\tt=" + now.getEpochSecond() + "; h=" + String.join(":", names)
                + ";\r\n\tbh=" + Base64.getEncoder().encodeToString(relaxedBody.sha256()) + ";\r\n\tb=";
        return signField("DKIM-Signature", tags, names, header, key);
    }

    /**
     * Signs {@code name: tags} (tags ending in "b=") over the named fields with relaxed header
     * canonicalization, and returns the field with b= filled in, folded, ending in CRLF.
     */
    public static String signField(String name, String tags, List<String> names, MessageHeader header,
            SigningKey key) throws GeneralSecurityException {
        String unsigned = name + ": " + tags;
        byte[] data = SignatureCheck.headerData(header, names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList(),
                true, unsigned, null);
        return unsigned + fold(Base64.getEncoder().encodeToString(key.algorithm().sign(key.privateKey(), data)))
                + "\r\n";
    }

    /** Splits a long base64 value over lines (folding whitespace is allowed inside b=, RFC 6376 §3.5). */
    public static String fold(String base64) {
        StringBuilder out = new StringBuilder(base64.length() + base64.length() / 64 * 3);
        for (int i = 0; i < base64.length(); i += 64) {
            if (i > 0) {
                out.append("\r\n\t ");
            }
            out.append(base64, i, Math.min(base64.length(), i + 64));
        }
        return out.toString();
    }

    /** The field as a {@link HeaderField} (to sign it into an ARC seal, or to check it). */
    public static HeaderField asField(String fieldWithCrlf) {
        return HeaderField.of(fieldWithCrlf.endsWith("\r\n")
                ? fieldWithCrlf.substring(0, fieldWithCrlf.length() - 2) : fieldWithCrlf);
    }
}
