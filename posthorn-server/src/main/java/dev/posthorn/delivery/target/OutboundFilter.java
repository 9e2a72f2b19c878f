package dev.posthorn.delivery.target;

import java.io.IOException;

/**
 * Transforms a message's content before it leaves for another domain: the place for a DKIM signature
 * (RFC 6376 §5: the signer adds a header field on the way out). The queued content is never changed; the filter
 * returns the content to send. {@link #NONE} sends it as queued.
 */
@FunctionalInterface
public interface OutboundFilter {

    OutboundFilter NONE = (message, content) -> content;

    MessageContent apply(TargetMessage message, MessageContent content) throws IOException;
}
