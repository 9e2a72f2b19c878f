package dev.posthorn.probe;

import java.util.Map;

/** One line of the transcript: what the probe sent, what the server replied, or something that happened. */
public sealed interface TranscriptEntry {

    Step step();

    /**
     * A command as sent, except that secrets are masked: {@code AUTH PLAIN ********}.
     *
     * @param shown the line as the transcript shows it
     */
    record Sent(Step step, String shown) implements TranscriptEntry {
    }

    record Received(Step step, SmtpReply reply) implements TranscriptEntry {
    }

    /**
     * Something that is neither a command nor a reply: connecting, the TLS handshake, the test message, a
     * failure. Printed from the phrase {@code probe.event.<kind>} of the chosen language with {@code values}.
     */
    record Event(Step step, EventKind kind, Map<String, String> values) implements TranscriptEntry {
        public Event {
            values = Map.copyOf(values);
        }
    }

    enum EventKind {
        CONNECT("connect"),
        CONNECTED("connected"),
        TLS("tls"),
        CERTIFICATE_VERIFIED("certificateVerified"),
        CERTIFICATE_UNCHECKED("certificateUnchecked"),
        CERTIFICATE_REFUSED("certificateRefused"),
        POLICY_MET("policyMet"),
        POLICY_FAILED("policyFailed"),
        MESSAGE("message"),
        FAILED("failed"),
        TIMEOUT("timeout"),
        CLOSED("closed");

        private final String key;

        EventKind(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }
}
