package dev.posthorn.server;

import dev.posthorn.smtp.session.ReplyScript;

/**
 * What turns a server into a test double for applications ({@code posthorn serve --capture}, posthorn-junit):
 * a script that may answer any stage, and a sink that takes every accepted message instead of the queue (then
 * every recipient is accepted, whatever its domain, and nothing is delivered or relayed). Either may be null.
 */
public record TestMode(ReplyScript script, CaptureSink capture) {

    /** A normal server. */
    public static final TestMode OFF = new TestMode(null, null);
}
