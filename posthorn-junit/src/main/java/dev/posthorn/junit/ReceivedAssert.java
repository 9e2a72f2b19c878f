package dev.posthorn.junit;

import dev.posthorn.testmode.CapturedMessage;
import java.util.List;
import java.util.function.Predicate;
import org.assertj.core.api.AbstractAssert;

/** Assertions every message of a selection must meet; a failure lists the ones that do not. */
public final class ReceivedAssert extends AbstractAssert<ReceivedAssert, List<CapturedMessage>> {

    private final PosthornExtension mail;

    ReceivedAssert(PosthornExtension mail, List<CapturedMessage> messages) {
        super(messages, ReceivedAssert.class);
        this.mail = mail;
    }

    /** Addressed to this recipient: in the envelope (RCPT TO). */
    public ReceivedAssert to(String address) {
        return every("be to <" + address + ">", m -> m.envelopeRecipients().stream()
                .anyMatch(r -> r.equalsIgnoreCase(address)));
    }

    /** Sent by this envelope sender (MAIL FROM). */
    public ReceivedAssert from(String address) {
        return every("be from <" + address + ">", m -> m.envelopeSender().equalsIgnoreCase(address));
    }

    public ReceivedAssert withSubject(String subject) {
        return every("have the subject \"" + subject + "\"", m -> subject.equals(m.subject()));
    }

    public ReceivedAssert withSubjectContaining(String part) {
        return every("have a subject containing \"" + part + "\"", m -> m.subject() != null && m.subject().contains(part));
    }

    /** Its text/plain part (or text/html, when it has no plain text) contains this. */
    public ReceivedAssert withTextContaining(String part) {
        return every("have a text containing \"" + part + "\"", m -> (m.text() != null ? m.text() : String.valueOf(m.html()))
                .contains(part));
    }

    public ReceivedAssert withAttachment(String filename) {
        return every("have an attachment named \"" + filename + "\"", m -> m.attachments().stream()
                .anyMatch(p -> filename.equals(p.filename())));
    }

    public ReceivedAssert withHeader(String name, String value) {
        return every("have the header field " + name + ": " + value, m -> m.header(name).contains(value));
    }

    /** The messages themselves, for what these assertions do not cover. */
    public List<CapturedMessage> messages() {
        return actual;
    }

    /** The one message, when exactly one was selected. */
    public CapturedMessage message() {
        if (actual.size() != 1) {
            failWithMessage("%s", "Expected one message, but " + actual.size() + " were selected.");
        }
        return actual.get(0);
    }

    private ReceivedAssert every(String expectation, Predicate<CapturedMessage> test) {
        List<CapturedMessage> failing = actual.stream().filter(test.negate()).toList();
        if (!failing.isEmpty()) {
            failWithMessage("%s", Explain.notEvery(expectation, actual, failing, mail.scriptedReplies()));
        }
        return this;
    }

}
