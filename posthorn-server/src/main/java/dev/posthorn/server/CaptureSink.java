package dev.posthorn.server;

import dev.posthorn.spool.Envelope;

/**
 * Test mode: takes every accepted message in place of delivery. Called on the session's thread before the
 * {@code 250} is written, so a client whose send has returned finds its message there.
 */
@FunctionalInterface
public interface CaptureSink {

    void accepted(Envelope envelope, byte[] content);
}
