package dev.posthorn.mailauth.dkim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Several body hashes computed in one pass over the body, one per distinct {@link BodyHashSpec}. */
public final class BodyHashes {

    private final Map<BodyHashSpec, BodyCanonicalizer> running = new LinkedHashMap<>();
    private final Map<BodyHashSpec, BodyCanonicalizer.BodyHash> done = new LinkedHashMap<>();
    private boolean finished;

    public BodyHashes(Set<BodyHashSpec> specs) {
        for (BodyHashSpec spec : specs) {
            running.put(spec, new BodyCanonicalizer(spec.relaxed(), spec.limit()));
        }
    }

    public void update(byte[] bytes, int offset, int length) {
        for (BodyCanonicalizer c : running.values()) {
            c.update(bytes, offset, length);
        }
    }

    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        running.forEach((spec, c) -> done.put(spec, c.finish()));
    }

    /** The hash for a spec asked for at the start; null if it was not. */
    public BodyCanonicalizer.BodyHash get(BodyHashSpec spec) {
        finish();
        return done.get(spec);
    }

    /** Hashes a whole body at once (messages built in memory). */
    public static BodyHashes of(byte[] body, int offset, Set<BodyHashSpec> specs) {
        BodyHashes hashes = new BodyHashes(specs);
        hashes.update(body, offset, body.length - offset);
        hashes.finish();
        return hashes;
    }
}
