package dev.posthorn.codes;

/**
 * The first digit of a reply code (RFC 5321 §4.2.1) or the class of an enhanced status code
 * (RFC 3463 §2). Enhanced codes only have 2, 4 and 5.
 */
public enum ReplyClass {
    POSITIVE_COMPLETION(2), POSITIVE_INTERMEDIATE(3), TRANSIENT_NEGATIVE(4), PERMANENT_NEGATIVE(5);

    private final int digit;

    ReplyClass(int digit) {
        this.digit = digit;
    }

    public int digit() {
        return digit;
    }

    public static ReplyClass of(int digit) {
        for (ReplyClass c : values()) {
            if (c.digit == digit) {
                return c;
            }
        }
        throw new IllegalArgumentException("no reply class " + digit);
    }

    public boolean isFailure() {
        return digit >= 4;
    }
}
