package dev.posthorn.codes;

import java.util.List;

/**
 * Something in a pasted reply that breaks the rules for where enhanced codes go (RFC 2034 §4) or how a multiline
 * reply is written (RFC 5321 §4.2.1). {@code explain} reports it next to the page; the language files word it
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
        CLASS_MISMATCH("classMismatch"),
        /** "354 2.0.0": 3xx replies carry no enhanced code (RFC 2034 §4). */
        ENHANCED_ON_3XX("enhancedOn3xx"),
        /** "220 2.0.0 mx.example.com ESMTP": the greeting carries none (RFC 2034 §4). */
        ENHANCED_ON_GREETING("enhancedOnGreeting"),
        /** "250-2.0.0 mx.example.com Hello": nor does the reply to EHLO or HELO (RFC 2034 §4). */
        ENHANCED_ON_EHLO("enhancedOnEhlo"),
        /** "550-5.1.1 ... / 550 5.7.1 ...": each line repeats the same enhanced code (RFC 2034 §4). */
        ENHANCED_DIFFERS("enhancedDiffers"),
        /** "550-5.1.1 ... / 550 ...": likewise. */
        ENHANCED_MISSING("enhancedMissing"),
        /** "550-... / 551 ...": each line repeats the same reply code (RFC 5321 §4.2.1). */
        CODES_DIFFER("codesDiffer");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        /** The phrase that words it: {@code warn.<key>}. */
        public String key() {
            return key;
        }
    }
}
