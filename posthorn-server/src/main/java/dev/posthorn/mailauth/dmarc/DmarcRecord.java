package dev.posthorn.mailauth.dmarc;

import dev.posthorn.mailauth.dkim.Tags;
import java.util.Locale;

/**
 * A DMARC policy record (RFC 7489 §6.3): {@code v=DMARC1} first, the policy p=, the subdomain policy sp=
 * (defaults to p=), alignment modes adkim= and aspf= (relaxed unless "s"), pct= (100), and the reporting
 * addresses rua=, which this server publishes but does not send reports to.
 */
public record DmarcRecord(Policy policy, Policy subdomainPolicy, boolean strictDkim, boolean strictSpf, int pct,
                          String rua) {

    public enum Policy {
        NONE, QUARANTINE, REJECT;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @throws IllegalArgumentException naming what is wrong with the record */
    public static DmarcRecord parse(String text) {
        Tags tags = Tags.parse(text);
        if (!"v".equals(tags.firstTag()) || !"DMARC1".equals(tags.get("v"))) {
            throw new IllegalArgumentException("does not start with v=DMARC1");
        }
        Policy p = policy(tags.get("p"), "p");
        if (p == null) {
            // RFC 7489 §6.6.3: a record without a valid p= is treated as p=none when rua= is valid; keep it simple.
            throw new IllegalArgumentException("p= missing or not none, quarantine or reject");
        }
        Policy sp = tags.has("sp") ? policy(tags.get("sp"), "sp") : p;
        if (sp == null) {
            sp = p;
        }
        int pct = 100;
        if (tags.has("pct")) {
            String v = tags.get("pct");
            if (!v.matches("[0-9]{1,3}") || Integer.parseInt(v) > 100) {
                throw new IllegalArgumentException("pct= must be 0 to 100");
            }
            pct = Integer.parseInt(v);
        }
        return new DmarcRecord(p, sp, "s".equalsIgnoreCase(tags.get("adkim")), "s".equalsIgnoreCase(tags.get("aspf")),
                pct, tags.get("rua"));
    }

    private static Policy policy(String value, String tag) {
        if (value == null) {
            return null;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "none" -> Policy.NONE;
            case "quarantine" -> Policy.QUARANTINE;
            case "reject" -> Policy.REJECT;
            default -> null;
        };
    }
}
