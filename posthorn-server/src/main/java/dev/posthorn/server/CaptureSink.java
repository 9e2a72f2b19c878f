package dev.posthorn.server;

import dev.posthorn.spool.Envelope;

/**
 * Test mode: takes every accepted message in place of delivery. Called on the session's thread after the
 * {@code 250} is written and before it is flushed, so a client whose send has returned finds its message there.
 */
@FunctionalInterface
public interface CaptureSink {

    void accepted(Envelope envelope, byte[] content);
}
