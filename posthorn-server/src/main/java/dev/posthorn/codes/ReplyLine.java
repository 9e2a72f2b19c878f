package dev.posthorn.codes;

/**
 * One line of a reply as found in what the user pasted (RFC 5321 §4.2.1): {@code 550-5.1.1 The email ...}.
 *
 * @param code      the three-digit reply code
 * @param continues true for {@code 550-...}: more lines of the same reply follow
 * @param enhanced  the enhanced status code at the start of the text, or null
 * @param text      what follows the codes
 */
public record ReplyLine(String code, boolean continues, String enhanced, String text) {
}
