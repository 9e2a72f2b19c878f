package dev.posthorn.junit;

import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailQuery;
import dev.posthorn.testmode.ScriptEvent;
import java.time.Duration;
import java.util.List;

/** The words of failures: what was received, what the script replied, what the replies mean. */
final class Explain {

    private Explain() {
    }

    /** The scripted replies of a test, each with the catalogue's explanation of the reply. */
    static String events(List<ScriptEvent> events) {
        StringBuilder s = new StringBuilder("Scripted replies the client got:");
        for (ScriptEvent event : events) {
            for (String line : event.describe()) {
                s.append("\n  ").append(line);
            }
        }
        return s.toString();
    }

    static String notReceived(MailQuery query, int expected, int found, Duration waited, List<CapturedMessage> all,
                              List<ScriptEvent> events) {
        return "Expected " + messages(expected) + " matching " + query.describe() + " within " + duration(waited)
                + ", but " + found + " arrived.\n" + received(all) + scripted(events);
    }

    static String wrongCount(int expected, List<CapturedMessage> all, Duration waited, List<ScriptEvent> events) {
        return "Expected " + messages(expected) + " to be received" + (expected > 0 ? " within " + duration(waited) : "")
                + ", but " + all.size() + (all.size() == 1 ? " was." : " were.") + "\n" + received(all)
                + scripted(events);
    }

    static String notEvery(String expectation, List<CapturedMessage> all, List<CapturedMessage> failing,
                           List<ScriptEvent> events) {
        StringBuilder s = new StringBuilder("Expected every message to ").append(expectation).append(", but ")
                .append(failing.size()).append(" of ").append(all.size()).append(failing.size() == 1 ? " was not:" : " were not:");
        for (CapturedMessage m : failing) {
            s.append("\n  ").append(all.indexOf(m) + 1).append(". ").append(m.summary());
        }
        return s.append("\n").append(scripted(events)).toString().stripTrailing();
    }

    private static String received(List<CapturedMessage> all) {
        if (all.isEmpty()) {
            return "Received: none\n";
        }
        StringBuilder s = new StringBuilder("Received:");
        for (int i = 0; i < all.size(); i++) {
            s.append("\n  ").append(i + 1).append(". ").append(all.get(i).summary());
        }
        return s.append('\n').toString();
    }

    private static String scripted(List<ScriptEvent> events) {
        return events.isEmpty() ? "No scripted replies." : events(events);
    }

    private static String messages(int n) {
        return n == 1 ? "1 message" : n + " messages";
    }

    static String duration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
