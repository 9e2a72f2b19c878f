package dev.posthorn.queue;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.Router;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.target.OutboundFilter;
import java.nio.file.Path;

/** The delivery targets the queue's tests schedule to: the config's routes, and mailboxes under {@code dir/mail}. */
final class QueueTargets {

    private QueueTargets() {
    }

    static DeliveryTargets of(PosthornConfig c, Path dir, OutboundFilter filter) {
        return new DeliveryTargets(c.delivery, new LocalDelivery(dir.resolve("mail"), "mx.test", a -> a),
                new Router(c.routes, c.relay, c.queue, 25), MxResolver.from(c.dns), ClientSettings.from("mx.test", c.queue),
                c.queue, filter, null);
    }
}
