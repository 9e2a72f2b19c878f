package dev.posthorn.smtp.session;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches the header section of a message as it streams past, byte by byte, and keeps only what policy needs:
 * the number of Received: fields (loop detection, RFC 5321 §6.3) and the addresses in From: (sender binding).
 * It stops at the empty line that ends the header, or after a bound, so the body costs nothing.
 */
final class HeaderScanner {

    private static final int MAX_HEADER_OCTETS = 256 * 1024;
    private static final int MAX_FIELD_OCTETS = 8 * 1024;
    private static final Pattern ANGLE_ADDRESS = Pattern.compile("<([^<>\\s]+@[^<>\\s]+)>");
    private static final Pattern BARE_ADDRESS = Pattern.compile("([^\\s<>\",;:()]+@[^\\s<>\",;:()]+)");

    private final StringBuilder field = new StringBuilder();
    private final byte[] current = new byte[MAX_FIELD_OCTETS];
    private int currentLength;
    private boolean atLineStart = true;
    private boolean lastWasCr;
    private boolean done;
    private long seen;
    private int receivedCount;
    private final List<String> from = new ArrayList<>();
    private boolean inFrom;

    boolean done() {
        return done;
    }

    void accept(byte b) {
        if (done) {
            return;
        }
        if (++seen > MAX_HEADER_OCTETS) {
            finishField();
            done = true;
            return;
        }
        if (b == '\n' && lastWasCr) {
            lineEnded();
            lastWasCr = false;
            return;
        }
        lastWasCr = b == '\r';
        if (b != '\r' && currentLength < current.length) {
            current[currentLength++] = b;
        }
    }

    private void lineEnded() {
        if (currentLength == 0) {
            // The empty line: end of the header section.
            finishField();
            done = true;
            return;
        }
        String text = new String(current, 0, currentLength, StandardCharsets.UTF_8);
        currentLength = 0;
        boolean continuation = text.charAt(0) == ' ' || text.charAt(0) == '\t';
        if (continuation) {
            if (inFrom) {
                field.append(' ').append(text.strip());
            }
            return;
        }
        finishField();
        int colon = text.indexOf(':');
        String name = colon < 0 ? "" : text.substring(0, colon).strip();
        if (name.equalsIgnoreCase("Received")) {
            receivedCount++;
        } else if (name.equalsIgnoreCase("From")) {
            inFrom = true;
            field.append(text.substring(colon + 1));
        }
    }

    private void finishField() {
        if (inFrom) {
            from.addAll(addresses(field.toString()));
            field.setLength(0);
            inFrom = false;
        }
    }

    static List<String> addresses(String value) {
        List<String> found = new ArrayList<>();
        Matcher angle = ANGLE_ADDRESS.matcher(value);
        while (angle.find()) {
            found.add(angle.group(1));
        }
        if (found.isEmpty()) {
            Matcher bare = BARE_ADDRESS.matcher(value.replaceAll("\\([^)]*\\)", " "));
            while (bare.find()) {
                found.add(bare.group(1));
            }
        }
        return found;
    }

    int receivedCount() {
        return receivedCount;
    }

    List<String> fromAddresses() {
        finishIfIncomplete();
        return List.copyOf(from);
    }

    private void finishIfIncomplete() {
        if (!done && currentLength > 0) {
            lineEnded();
        }
        finishField();
    }
}
