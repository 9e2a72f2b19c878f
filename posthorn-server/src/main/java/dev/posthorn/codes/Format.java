package dev.posthorn.codes;

import java.util.List;

/** The output formats of {@code explain} and {@code compare}. */
public enum Format {
    TEXT, MARKDOWN, JSON, HTML;

    public String explain(Catalogue catalogue, List<CodeEntry> entries) {
        return switch (this) {
            case JSON -> JsonRenderer.explain(catalogue, entries);
            default -> page(new ExplainPage(catalogue).build(entries));
        };
    }

    /**
     * A pasted bounce: {@code first} (provider advice) above the codes' explanation. JSON keeps the documented
     * shape of the codes alone; the web API's {@code /api/v1/explain} carries the provider advice for scripts.
     */
    public String explain(Catalogue catalogue, List<CodeEntry> entries, List<Page.Section> first) {
        return switch (this) {
            case JSON -> JsonRenderer.explain(catalogue, entries);
            default -> page(new ExplainPage(catalogue).build(entries, first));
        };
    }

    public String compare(Catalogue catalogue, Comparison comparison) {
        return switch (this) {
            case JSON -> JsonRenderer.compare(catalogue, comparison);
            default -> page(comparison.toPage(catalogue));
        };
    }

    private String page(Page page) {
        return switch (this) {
            case TEXT -> TextRenderer.render(page);
            case MARKDOWN -> MarkdownRenderer.render(page);
            case HTML -> HtmlRenderer.render(page);
            case JSON -> throw new IllegalStateException("JSON is built from entries, not pages");
        };
    }
}
