package dev.posthorn.mailauth.records;

import java.util.Map;

/**
 * One statement about one record of a domain: which record, how it stands, and the words for it as a phrase
 * key with its values (the CLI renders them in the user's language from codes/lang/*.json, "dns.*").
 */
public record Finding(String record, Status status, String phrase, Map<String, String> values) {

    public enum Status {
        OK, NOTE, MISSING, WRONG, TRUNCATED, TEMPORARY;

        /** A problem the operator must fix (a note is advice, not a failure). */
        public boolean isProblem() {
            return this != OK && this != NOTE;
        }
    }

    public Finding {
        values = Map.copyOf(values);
    }
}
