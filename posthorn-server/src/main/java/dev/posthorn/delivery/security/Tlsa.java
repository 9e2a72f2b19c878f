package dev.posthorn.delivery.security;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.xbill.DNS.TLSARecord;

/**
 * One TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type and association data.
 *
 * @param owner the record's owner name, "_25._tcp.mx.example.com"
 */
public record Tlsa(String owner, int usage, int selector, int matchingType, byte[] data) {

    /** RFC 7218 acronyms: DANE-TA(2) and DANE-EE(3); PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3). */
    public static final int DANE_TA = 2;
    public static final int DANE_EE = 3;

    public static Tlsa of(TLSARecord r) {
        String owner = r.getName().toString();
        return new Tlsa(owner.endsWith(".") ? owner.substring(0, owner.length() - 1) : owner,
                r.getCertificateUsage(), r.getSelector(), r.getMatchingType(), r.getCertificateAssociationData());
    }

    /**
     * RFC 7672 §3.1.3 and RFC 7671 §4: only DANE-TA and DANE-EE, full certificate or SubjectPublicKeyInfo, exact or
     * SHA-256/SHA-512 digests of the right length. Anything else is ignored as if absent.
     */
    public boolean usable() {
        boolean usageOk = usage == DANE_TA || usage == DANE_EE;
        boolean selectorOk = selector == 0 || selector == 1;
        boolean lengthOk = switch (matchingType) {
            case 0 -> data.length > 0;
            case 1 -> data.length == 32;
            case 2 -> data.length == 64;
            default -> false;
        };
        return usageOk && selectorOk && lengthOk;
    }

    /** Whether this record's data is that of {@code cert} (the whole DER certificate or its public key). */
    public boolean matches(X509Certificate cert) {
        try {
            byte[] selected = selector == 0 ? cert.getEncoded() : cert.getPublicKey().getEncoded();
            byte[] associated = switch (matchingType) {
                case 0 -> selected;
                case 1 -> MessageDigest.getInstance("SHA-256").digest(selected);
                case 2 -> MessageDigest.getInstance("SHA-512").digest(selected);
                default -> null;
            };
            return associated != null && MessageDigest.isEqual(associated, data);
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            return false;
        }
    }

    /** The record as an operator writes it, the data shortened: "3 1 1 ab12cd34…". */
    public String shortText() {
        String hex = HexFormat.of().formatHex(data);
        return usage + " " + selector + " " + matchingType + " " + (hex.length() > 12 ? hex.substring(0, 12) + "…" : hex);
    }

    /** "TLSA _25._tcp.mx.example.com 3 1 1 ab12cd34…": which record decided, for logs and queue show. */
    public String describe() {
        return "TLSA " + owner + " " + shortText();
    }
}
