package dev.posthorn.web.pages;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The site's stable addresses, the language first: {@code /tr/compare/220/530}. */
public final class Paths {

    private Paths() {
    }

    public static String codes(String lang) {
        return "/" + lang + "/codes";
    }

    public static String code(String lang, String code) {
        return "/" + lang + "/codes/" + code;
    }

    public static String compare(String lang, String a, String b) {
        return "/" + lang + "/compare/" + a + "/" + b;
    }

    public static String explain(String lang) {
        return "/" + lang + "/explain";
    }

    public static String explain(String lang, String line) {
        return explain(lang) + "?line=" + URLEncoder.encode(line, StandardCharsets.UTF_8);
    }

    public static String providers(String lang) {
        return "/" + lang + "/providers";
    }

    public static String provider(String lang, String id) {
        return "/" + lang + "/providers/" + id;
    }
}
