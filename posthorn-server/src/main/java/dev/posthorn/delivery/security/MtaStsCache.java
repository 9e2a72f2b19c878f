package dev.posthorn.delivery.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MTA-STS policies kept on disk ({@code <data>/mta-sts/<domain>.json}), so that a restart does not forget them:
 * RFC 8461 §5.1 makes the cached policy the defence against an attacker who blocks the policy fetch or the TXT
 * lookup. Written atomically (temporary file, fsync, rename).
 */
public final class MtaStsCache {

    private static final Logger LOG = LoggerFactory.getLogger(MtaStsCache.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Path dir;
    private final Map<String, Optional<MtaStsPolicy>> memory = new ConcurrentHashMap<>();

    public MtaStsCache(Path dir) {
        this.dir = dir;
    }

    /** The cached policy of a domain, expired or not; empty when none was ever stored. */
    public Optional<MtaStsPolicy> get(String domain) {
        return memory.computeIfAbsent(key(domain), this::load);
    }

    public void put(String domain, MtaStsPolicy policy) {
        String key = key(domain);
        memory.put(key, Optional.of(policy));
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(key + ".json.tmp");
            Files.write(tmp, JSON.writeValueAsBytes(policy));
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, dir.resolve(key + ".json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.error("cannot store the MTA-STS policy of {} in {}: {}", domain, dir, e.toString());
        }
    }

    private Optional<MtaStsPolicy> load(String key) {
        Path file = dir.resolve(key + ".json");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), MtaStsPolicy.class));
        } catch (IOException e) {
            LOG.error("unreadable cached MTA-STS policy {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    private static String key(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (!d.matches("[a-z0-9.-]+")) {
            throw new IllegalArgumentException("not a domain name: " + domain);
        }
        return d;
    }
}
