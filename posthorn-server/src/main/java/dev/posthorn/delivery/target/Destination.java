package dev.posthorn.delivery.target;

import dev.posthorn.delivery.lmtp.LmtpEndpoint;

import dev.posthorn.delivery.remote.Route;

/**
 * Where a recipient's copy goes, as the scheduler groups work: recipients with the same {@link #key()} share
 * workers (and connections), at most {@link #concurrency()} at a time.
 */
public sealed interface Destination {

    String key();

    int concurrency();

    /** A hosted mailbox, written as a Maildir here. */
    record Mailbox(int concurrency) implements Destination {
        public static final String KEY = "maildir";

        @Override
        public String key() {
            return KEY;
        }
    }

    /** A hosted mailbox behind an LMTP server (Dovecot, Cyrus). */
    record Lmtp(LmtpEndpoint endpoint, int concurrency) implements Destination {
        @Override
        public String key() {
            return endpoint.toString(); // "lmtp:unix:/run/dovecot/lmtp", "lmtp:127.0.0.1:24"
        }
    }

    /** Another domain: its MX hosts, a static route or the smarthost. */
    record Remote(Route route, int concurrency) implements Destination {
        @Override
        public String key() {
            return route.key();
        }
    }
}
