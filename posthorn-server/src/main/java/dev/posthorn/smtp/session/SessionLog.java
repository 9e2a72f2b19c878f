package dev.posthorn.smtp.session;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.Reply;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.spool.Envelope;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The session's log lines: one per connection, one per accepted transaction, one per refusal. */
final class SessionLog {

    private static final Logger LOG = LoggerFactory.getLogger("posthorn.smtp");

    private static final Catalogue CATALOGUE = Catalogue.load(Catalogue.DEFAULT_LANGUAGE);

    private final ListenerRole role;
    private final String client;

    SessionLog(ListenerRole role, String client) {
        this.role = role;
        this.client = client;
    }

    void connected() {
        LOG.debug("connect from [{}] port={}", client, role);
    }

    void tls(String protocol, String cipher) {
        LOG.debug("tls from [{}] {} {}", client, protocol, cipher);
    }

    void accepted(Envelope envelope) {
        LOG.info("accepted id={} from=<{}> to={} size={} client=[{}] helo={} auth={}", envelope.id(),
                envelope.sender(),
                envelope.recipients().stream().map(r -> "<" + r.address() + ">")
                        .collect(Collectors.joining(",")),
                envelope.size(), client, envelope.clientHelo(),
                envelope.authUser() == null ? "-" : envelope.authUser());
    }

    /** Refusals are logged with the catalogue's title of the code, so the log says what it means. */
    void reply(Reply reply) {
        if (reply.code() >= 400 && LOG.isInfoEnabled()) {
            String code = reply.enhanced() != null ? reply.enhanced() : String.valueOf(reply.code());
            String meaning = CATALOGUE.find(code).map(entry -> entry.text().title()).orElse("?");
            LOG.info("reply to [{}] port={}: {} [{}: {}]", client, role, reply.summary(), code, meaning);
        }
    }

    void closed(String how, int accepted) {
        LOG.info("disconnect from [{}] port={} end={} accepted={}", client, role, how, accepted);
    }
}
