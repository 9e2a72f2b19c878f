package dev.posthorn.smtp.protocol;

/** Syntax of the EHLO/HELO argument: {@code Domain / address-literal} (RFC 5321 §4.1.1.1, §4.1.2). */
final class HeloName {

    private HeloName() {
    }

    static boolean isValid(String name) {
        if (name.startsWith("[") && name.endsWith("]")) {
            String inside = name.substring(1, name.length() - 1);
            return inside.regionMatches(true, 0, "IPv6:", 0, 5)
                    ? PathParser.isIpv6(inside.substring(5))
                    : PathParser.isIpv4(inside);
        }
        String domain = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (domain.isEmpty() || domain.length() > PathParser.MAX_DOMAIN) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ldh) {
                    return false;
                }
            }
        }
        return true;
    }
}
