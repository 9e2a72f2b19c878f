package dev.posthorn.mailauth;

import java.util.regex.Pattern;

/** Syntax of the domain names the checks accept from messages and DNS, before they are used or printed. */
public final class DomainNames {

    private static final Pattern NAME = Pattern.compile(
            "(?i)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.?");

    private DomainNames() {
    }

    /** LDH labels (underscores allowed for _domainkey and the like), at most 253 octets. */
    public static boolean isValid(String name) {
        return name != null && !name.isEmpty() && name.length() <= 253 && NAME.matcher(name).matches();
    }
}
