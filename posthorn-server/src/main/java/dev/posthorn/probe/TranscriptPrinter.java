package dev.posthorn.probe;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.LanguagePack;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns transcript entries into lines: {@code →} what the probe did, {@code ←} what the server replied, with
 * the reply's title from the catalogue at the end of its last line, {@code ·} what happened in between (TLS,
 * the test message), {@code !} failures. Ends with the diagnosis.
 */
public final class TranscriptPrinter {

    /** Replies shorter than this get their explanation in one column; longer ones get it after two spaces. */
    static final int COLUMN = 48;

    private final Catalogue catalogue;
    private final LanguagePack lang;

    public TranscriptPrinter(Catalogue catalogue) {
        this.catalogue = catalogue;
        this.lang = catalogue.language();
    }

    public List<String> lines(TranscriptEntry entry) {
        return switch (entry) {
            case TranscriptEntry.Sent sent -> List.of("→ " + sent.shown());
            case TranscriptEntry.Received received -> reply(received.reply());
            case TranscriptEntry.Event event -> List.of(marker(event.kind()) + event(event));
        };
    }

    /** "Diagnosis: ..." and the notes, each on its own line. */
    public List<String> diagnosis(Diagnosis diagnosis) {
        List<String> lines = new ArrayList<>();
        lines.add(lang.phrase("probe.diagnosis") + " " + diagnosis.conclusion());
        for (String note : diagnosis.notes()) {
            lines.add(lang.phrase("probe.note") + " " + note);
        }
        return lines;
    }

    private String event(TranscriptEntry.Event event) {
        Map<String, String> values = new HashMap<>(event.values());
        if (values.containsKey("millis")) {
            values.put("duration", duration(lang, Long.parseLong(values.get("millis"))));
        }
        return lang.fill("probe.event." + event.kind().key(), values);
    }

    /** "1 second", "30 seconds", "0.5 seconds": the language's words for a time-out. */
    static String duration(LanguagePack lang, long millis) {
        String n = millis % 1000 == 0 ? String.valueOf(millis / 1000) : String.valueOf(millis / 1000.0);
        return lang.fill(millis == 1000 ? "probe.duration.one" : "probe.duration.many", Map.of("n", n));
    }

    private static String marker(TranscriptEntry.EventKind kind) {
        return switch (kind) {
            case CONNECT -> "→ ";
            case FAILED, TIMEOUT, CLOSED, POLICY_FAILED -> "! ";
            default -> "· ";
        };
    }

    private List<String> reply(SmtpReply reply) {
        List<String> out = new ArrayList<>();
        List<String> raw = reply.lines();
        for (int i = 0; i < raw.size() - 1; i++) {
            out.add("← " + raw.get(i));
        }
        String last = "← " + raw.getLast();
        int pad = Math.max(2, COLUMN - last.length());
        out.add(last + " ".repeat(pad) + explanation(reply));
        return out;
    }

    /**
     * One line about a reply: the title of its enhanced code when that says more than "other or undefined"
     * (a detail of 0), else the title of the basic code, else the class.
     */
    public String explanation(SmtpReply reply) {
        Optional<CodeEntry> enhanced = reply.enhancedCode().flatMap(catalogue::find);
        Optional<CodeEntry> basic = catalogue.find(String.valueOf(reply.code()));
        if (enhanced.isPresent() && !enhanced.get().key().endsWith(".0")) {
            return enhanced.get().title();
        }
        if (basic.isPresent()) {
            return basic.get().title();
        }
        if (enhanced.isPresent()) {
            return enhanced.get().title();
        }
        return lang.phrase("class." + reply.replyClass());
    }
}
