package dev.posthorn.codes;

import dev.posthorn.codes.Page.Block;
import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Paragraph;
import dev.posthorn.codes.Page.Section;
import java.util.ArrayList;
import java.util.List;

/** A page for the terminal: underlined headings, paragraphs wrapped at 78 columns, "- " bullets. */
public final class TextRenderer {

    static final int WIDTH = 78;

    private TextRenderer() {
    }

    public static String render(Page page) {
        StringBuilder out = new StringBuilder();
        underline(out, page.title(), '=');
        for (Section section : page.sections()) {
            out.append('\n');
            underline(out, section.heading(), '-');
            boolean first = true;
            for (Block block : section.blocks()) {
                if (!first) {
                    out.append('\n');
                }
                first = false;
                switch (block) {
                    case Paragraph p -> wrap(out, p.text(), "", "");
                    case Items items -> {
                        for (Item item : items.items()) {
                            wrap(out, itemText(item), "- ", "  ");
                        }
                    }
                }
            }
        }
        return out.toString();
    }

    private static String itemText(Item item) {
        String text = item.link() == null ? item.text() : item.text() + " <" + item.link() + ">";
        return item.label() == null ? text : item.label() + ": " + text;
    }

    private static void underline(StringBuilder out, String text, char mark) {
        out.append(text).append('\n').append(String.valueOf(mark).repeat(text.codePointCount(0, text.length())))
                .append('\n');
    }

    /**
     * Greedy word wrap; a word longer than the line (a URL) stays whole on its own line, and a reference such as
     * "RFC 2034 §4" is kept on one line.
     */
    static void wrap(StringBuilder out, String text, String first, String rest) {
        StringBuilder line = new StringBuilder(first);
        int length = first.length();
        boolean empty = true;
        for (String word : unbreakable(text.split(" +"))) {
            int wordLength = word.codePointCount(0, word.length());
            if (!empty && length + 1 + wordLength > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder(rest);
                length = rest.length();
                empty = true;
            }
            if (!empty) {
                line.append(' ');
                length++;
            }
            line.append(word);
            length += wordLength;
            empty = false;
        }
        out.append(line).append('\n');
    }

    /** The words of a text, with "RFC" joined to its number and a "§4" to the word before it. */
    private static List<String> unbreakable(String[] words) {
        List<String> units = new ArrayList<>();
        for (String word : words) {
            boolean joins = !units.isEmpty() && (units.getLast().endsWith("RFC") && !word.isEmpty()
                    && Character.isDigit(word.charAt(0)) || word.startsWith("§"));
            if (joins) {
                units.set(units.size() - 1, units.getLast() + " " + word);
            } else {
                units.add(word);
            }
        }
        return units;
    }
}
