package dev.posthorn.web.pages;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * The page templates, compiled to Java classes at build time by jte-maven-plugin ({@code src/main/jte} →
 * {@code dev.posthorn.web.jte}): no template compiler at run time, and javac checks each template against
 * its model. Output is HTML-escaped by default; no template writes unescaped text.
 */
public final class Templates {

    private final TemplateEngine engine = TemplateEngine.createPrecompiled(null, ContentType.Html, null,
            "dev.posthorn.web.jte");

    public String render(String name, Object model) {
        StringOutput out = new StringOutput(16 * 1024);
        engine.render(name, model, out);
        return out.toString();
    }
}
