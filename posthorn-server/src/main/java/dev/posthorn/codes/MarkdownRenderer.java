package dev.posthorn.codes;

import dev.posthorn.codes.Page.Block;
import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Paragraph;
import dev.posthorn.codes.Page.Section;

/** A page as CommonMark, with the catalogue's words escaped so that "<CRLF>" or "*" stay literal. */
public final class MarkdownRenderer {

    private MarkdownRenderer() {
    }

    public static String render(Page page) {
        StringBuilder out = new StringBuilder();
        out.append("# ").append(escape(page.title())).append('\n');
        for (Section section : page.sections()) {
            out.append("\n## ").append(escape(section.heading())).append("\n\n");
            for (Block block : section.blocks()) {
                switch (block) {
                    case Paragraph p -> out.append(escape(p.text())).append("\n\n");
                    case Items items -> {
                        for (Item item : items.items()) {
                            out.append("- ").append(item(item)).append('\n');
                        }
                        out.append('\n');
                    }
                }
            }
        }
        // Blocks end in a blank line and headings start with one; keep a single blank line, one final newline.
        return out.toString().replaceAll("\n{3,}", "\n\n").stripTrailing() + "\n";
    }

    private static String item(Item item) {
        String text = item.link() == null ? escape(item.text()) : "[" + escape(item.text()) + "](" + item.link() + ")";
        return item.label() == null ? text : "**" + escape(item.label()) + ":** " + text;
    }

    /** Backslash-escapes the ASCII punctuation that CommonMark could read as markup. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (char c : text.toCharArray()) {
            if ("\\`*_[]<>#|".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
