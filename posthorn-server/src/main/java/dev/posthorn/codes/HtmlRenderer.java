package dev.posthorn.codes;

import dev.posthorn.codes.Page.Block;
import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Paragraph;
import dev.posthorn.codes.Page.Section;

/** A complete, self-contained HTML page: no scripts, no external styles, every catalogue word escaped. */
public final class HtmlRenderer {

    private static final String STYLE = """
            body{font:16px/1.55 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fff}\
            main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem}\
            h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}\
            li{margin:.35rem 0}a{color:#0b57d0}\
            @media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#161616}a{color:#8ab4f8}}""";

    private HtmlRenderer() {
    }

    public static String render(Page page) {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"").append(escape(page.language())).append("\">\n<head>\n")
                .append("<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(escape(page.title())).append("</title>\n")
                .append("<style>").append(STYLE).append("</style>\n")
                .append("</head>\n<body>\n<main>\n<h1>").append(escape(page.title())).append("</h1>\n");
        for (Section section : page.sections()) {
            out.append("<section>\n<h2>").append(escape(section.heading())).append("</h2>\n");
            for (Block block : section.blocks()) {
                switch (block) {
                    case Paragraph p -> out.append("<p>").append(escape(p.text())).append("</p>\n");
                    case Items items -> {
                        out.append("<ul>\n");
                        for (Item item : items.items()) {
                            out.append("<li>").append(item(item)).append("</li>\n");
                        }
                        out.append("</ul>\n");
                    }
                }
            }
            out.append("</section>\n");
        }
        return out.append("</main>\n</body>\n</html>\n").toString();
    }

    private static String item(Item item) {
        String text = item.link() == null ? escape(item.text())
                : "<a href=\"" + escape(item.link()) + "\">" + escape(item.text()) + "</a>";
        return item.label() == null ? text : "<strong>" + escape(item.label()) + ":</strong> " + text;
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
