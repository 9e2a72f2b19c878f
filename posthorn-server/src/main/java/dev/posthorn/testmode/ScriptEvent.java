package dev.posthorn.testmode;

import dev.posthorn.codes.Reply;
import dev.posthorn.smtp.session.ReplyScript;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Something a script did to a client: what the client sent, what it was answered (or that the connection was
 * dropped, or the answer delayed), and what that reply means. A failing test prints these.
 *
 * @param reply null when the connection was dropped or only the timing changed
 */
public record ScriptEvent(Instant at, ReplyScript.Stage stage, String sent, Reply reply, String action) {

    /** The event in a few lines: sent, answered, and the catalogue's explanation of the answer. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        String what = sent.isEmpty() ? "(" + stage.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")"
                : sent;
        lines.add(what + " -> " + (reply == null ? action : reply.summary() + (action.isEmpty() ? "" : " (" + action + ")")));
        if (reply != null) {
            Explanations.of(reply).forEach(l -> lines.add("  " + l));
        }
        return lines;
    }
}
