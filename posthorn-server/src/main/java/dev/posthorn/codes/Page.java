package dev.posthorn.codes;

import java.util.List;

/**
 * A reference page independent of its output format: a title and sections of paragraphs and lists.
 * {@link ExplainPage} and {@link Comparison} build it; the renderers turn it into text, Markdown or HTML.
 */
public record Page(String language, String title, List<Section> sections) {

    public Page {
        sections = List.copyOf(sections);
    }

    public record Section(String heading, List<Block> blocks) {
        public Section {
            blocks = List.copyOf(blocks);
        }
    }

    public sealed interface Block permits Paragraph, Items {
    }

    public record Paragraph(String text) implements Block {
    }

    /** A bulleted list. */
    public record Items(List<Item> items) implements Block {
        public Items {
            items = List.copyOf(items);
        }
    }

    /**
     * One bullet: an optional bold label ("Sender's user"), the text, and an optional link target
     * (the text is then the link's words).
     */
    public record Item(String label, String text, String link) {
        public static Item of(String label, String text) {
            return new Item(label, text, null);
        }
    }
}
