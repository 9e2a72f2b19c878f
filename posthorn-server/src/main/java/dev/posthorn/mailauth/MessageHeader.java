package dev.posthorn.mailauth;

import java.util.ArrayList;
import java.util.List;

/**
 * The header section of a message as a list of fields, top first. {@code complete} is false when the section
 * was longer than the collector keeps: then no signature can be verified against it.
 */
public record MessageHeader(List<HeaderField> fields, boolean complete) {

    public MessageHeader {
        fields = List.copyOf(fields);
    }

    /** Every field with this name, top first. */
    public List<HeaderField> all(String name) {
        List<HeaderField> out = new ArrayList<>();
        for (HeaderField f : fields) {
            if (f.is(name)) {
                out.add(f);
            }
        }
        return out;
    }

    /** Parses a whole message's header section (tests and DSNs built in memory). */
    public static MessageHeader parse(byte[] message) {
        MessageTap tap = MessageTap.collectOnly();
        try {
            tap.write(message);
            tap.finish();
        } catch (java.io.IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return tap.header();
    }
}
