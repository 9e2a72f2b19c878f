package dev.posthorn.codes;

import java.util.ArrayList;
import java.util.List;

/**
 * Which of Posthorn's own replies (codes/replies.json) carry a code, so that the pages can show
 * "Posthorn sends 530 as ..." straight from the replies the server really sends.
 */
final class ServerUsage {

    private static final int SHOWN = 3;

    private ServerUsage() {
    }

    /** Up to three of Posthorn's replies with this code, as they read on the wire ("%s" shown as "…"). */
    static List<String> repliesWith(CodeEntry entry) {
        List<String> found = new ArrayList<>();
        for (ReplyName name : ReplyName.values()) {
            Reply reply = ServerReplies.instance().template(name);
            boolean matches = entry.isEnhanced()
                    ? entry.code().equals(reply.enhanced())
                    : Integer.toString(reply.code()).equals(entry.code());
            String shown = reply.summary().replace("%s", "…");
            if (matches && !found.contains(shown)) {
                found.add(shown);
            }
        }
        return found.size() <= SHOWN ? found : found.subList(0, SHOWN);
    }
}
