package dev.posthorn.web.pages;

import dev.posthorn.codes.Page;
import java.util.List;

/** The models of the page templates ({@code src/main/jte}): plain values, every text already in the page's language. */
public final class Views {

    private Views() {
    }

    public record CodeLink(String code, String title, String href) {
    }

    public record ClassGroup(String heading, List<CodeLink> codes) {
    }

    /** An enhanced code with the class left open ("X.7.1") and the classes it is used with, each linked. */
    public record EnhancedRow(String key, String title, List<CodeLink> uses) {
    }

    public record SubjectGroup(String heading, List<EnhancedRow> rows) {
    }

    public record ProviderLink(String name, String href, String count) {
    }

    public record CodesPage(Chrome chrome, List<ClassGroup> basic, List<SubjectGroup> enhanced,
                            List<ProviderLink> providers) {
    }

    public record CodePage(Chrome chrome, String heading, String code, List<Page.Section> sections) {
    }

    /** One code's part of a comparison: its heading ("220 Service Ready") over Description, When, How to fix. */
    public record ComparePart(String heading, List<Page.Section> sections) {
    }

    public record ComparePage(Chrome chrome, String heading, List<String> summary, List<ComparePart> parts,
                              String differencesHeading, List<String> differences, String useHeading,
                              List<String> whenToUse, String learnHeading, List<Page.Item> learnMore) {
    }

    public record LinkView(String label, String href) {
    }

    /** A provider's documented bounce, in the page's language. */
    public record Advice(String id, String heading, String trigger, String wording, String who, String what,
                         String since, List<LinkView> links, LinkView source) {
    }

    public record ExplainPage(Chrome chrome, String input, boolean truncated, List<Advice> advice, List<String> notes,
                              List<Page.Section> generic, boolean nothing) {
    }

    public record ProvidersPage(Chrome chrome, List<ProviderLink> providers) {
    }

    public record Example(String text, String href) {
    }

    public record ProviderEntryView(Advice advice, List<Example> examples) {
    }

    public record ProviderPage(Chrome chrome, String heading, List<String> domains, List<LinkView> links,
                               List<ProviderEntryView> entries) {
    }

    public record ErrorPage(Chrome chrome, String heading, String text, String hint) {
    }
}
