package dev.posthorn.codes;

import java.util.List;

/**
 * Something in a pasted reply that breaks the rules for where enhanced codes go (RFC 2034 §4) or how a multiline
 * reply is written (RFC 5321 §4.2.1), or, as a note, an enhanced code where RFC 2034 §4 does not ask for one. {@code explain} reports it next to the page; the language files word it
 * as {@code warn.<kind>}.
 *
 * @param basic    the reply code
 * @param enhanced the enhanced code concerned, or null
 * @param codes    the codes that differ, for the kinds about differences; else empty
 */
public record ReplyFinding(Kind kind, String basic, String enhanced, List<String> codes) {

    public ReplyFinding {
        codes = List.copyOf(codes);
    }

    public enum Kind {
        /** "530 4.7.0": a 5xx reply must carry a 5.x.x code (RFC 2034 §4). */
        CLASS_MISMATCH("classMismatch", true),
        /** "354 2.0.0": RFC 2034 §4 leaves 3xx replies out of those that must carry a code; a note, not a fault. */
        ENHANCED_ON_3XX("enhancedOn3xx", false),
        /** "220 2.0.0 mx.example.com ESMTP": likewise the greeting (RFC 2034 §4). */
        ENHANCED_ON_GREETING("enhancedOnGreeting", false),
        /** "EHLO ..." then "250-2.0.0 mx.example.com Hello": likewise the reply to EHLO or HELO (RFC 2034 §4). */
        ENHANCED_ON_EHLO("enhancedOnEhlo", false),
        /** "550-5.1.1 ... / 550 5.7.1 ...": each line repeats the same enhanced code (RFC 2034 §4). */
        ENHANCED_DIFFERS("enhancedDiffers", true),
        /** "550-5.1.1 ... / 550 ...": likewise. */
        ENHANCED_MISSING("enhancedMissing", true),
        /** "550-... / 551 ...": each line repeats the same reply code (RFC 5321 §4.2.1). */
        CODES_DIFFER("codesDiffer", true);

        private final String key;
        private final boolean violation;

        Kind(String key, boolean violation) {
            this.key = key;
            this.violation = violation;
        }

        /** The phrase that words it: {@code warn.<key>}. */
        public String key() {
            return key;
        }

        /** True when the reply breaks a rule; false for a note on something the RFC allows but does not ask for. */
        public boolean violation() {
            return violation;
        }
    }
}
