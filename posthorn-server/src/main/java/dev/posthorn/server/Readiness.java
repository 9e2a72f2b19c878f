package dev.posthorn.server;

/**
 * The answer of {@code /health/ready}: each condition for taking mail, and whether all hold.
 *
 * @param listeners every configured listener is bound and accepting
 * @param spool     the spool's journal writes and its directory is writable
 * @param disk      the free disk space is above {@code [limits] min_free_disk_mb}
 */
public record Readiness(boolean listeners, boolean spool, boolean disk) {

    public boolean ready() {
        return listeners && spool && disk;
    }
}
