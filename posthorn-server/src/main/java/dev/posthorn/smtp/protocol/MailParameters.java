package dev.posthorn.smtp.protocol;

/**
 * The ESMTP parameters of MAIL FROM that Posthorn supports: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8
 * (RFC 6531), RET and ENVID (RFC 3461), AUTH (RFC 4954 §5). Values are as received; {@code size} is -1 when
 * not declared.
 */
public record MailParameters(long size, String body, boolean smtputf8, String ret, String envid, String auth) {

    public static final MailParameters NONE = new MailParameters(-1, null, false, null, null, null);
}
