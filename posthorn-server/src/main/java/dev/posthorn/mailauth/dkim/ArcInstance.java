package dev.posthorn.mailauth.dkim;

/** The i= instance number of an ARC header field (RFC 8617 §4.2.1): 1 to 50. */
public final class ArcInstance {

    public static final int MAX = 50;

    private ArcInstance() {
    }

    public static int parse(String value) throws SignatureFailure {
        if (value == null || !value.strip().matches("[0-9]{1,2}")) {
            throw ParsedSignature.perm("i= missing or not an instance number");
        }
        int i = Integer.parseInt(value.strip());
        if (i < 1 || i > MAX) {
            throw ParsedSignature.perm("i=" + i + " outside 1-" + MAX);
        }
        return i;
    }
}
