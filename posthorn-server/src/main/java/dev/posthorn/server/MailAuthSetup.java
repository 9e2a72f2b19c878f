package dev.posthorn.server;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.policy.PgDkimKeys;
import dev.posthorn.mailauth.dmarc.DmarcEvaluator;
import dev.posthorn.mailauth.dmarc.PublicSuffixList;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MessageAuthentication;
import dev.posthorn.store.StoreBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds mail authentication from the configuration: keys (from the database when {@code [store]} is PostgreSQL,
 * else the data directory's files), resolver, Public Suffix List, trusted peers.
 */
final class MailAuthSetup {

    private static final Logger LOG = LoggerFactory.getLogger(MailAuthSetup.class);

    private MailAuthSetup() {
    }

    static MessageAuthentication create(PosthornConfig config, String hostname, Path dataDir, HostedDomains domains,
            StoreBackend store) {
        List<String> sealDomains = new ArrayList<>();
        sealDomains.add(hostname);
        domains.all().stream().sorted().forEach(sealDomains::add);
        return new MessageAuthentication(config.mailauth, hostname, PgDkimKeys.forStore(store, dataDir),
                MxResolver.resolverFor(config.dns), new DmarcEvaluator(publicSuffixList(config), RandomGenerator.getDefault()),
                Clock.systemUTC(), routePeers(config), sealDomains);
    }

    /** Debian's list when present; without it, DMARC takes the last two labels as the organizational domain. */
    static PublicSuffixList publicSuffixList(PosthornConfig config) {
        Path file = Path.of(config.mailauth.publicSuffixList);
        if (Files.isReadable(file)) {
            try {
                PublicSuffixList list = PublicSuffixList.load(file);
                LOG.info("public suffix list: {} rules from {}", list.size(), file);
                return list;
            } catch (IOException e) {
                LOG.warn("public suffix list {} unreadable ({}): DMARC's organizational domain falls back to the "
                        + "last two labels", file, e.toString());
                return PublicSuffixList.fallback();
            }
        }
        LOG.warn("public suffix list {} not found (Debian: apt-get install publicsuffix): DMARC's organizational "
                + "domain falls back to the last two labels, wrong for suffixes such as co.uk", file);
        return PublicSuffixList.fallback();
    }

    /** The addresses of {@code [routes]} hosts written as IP addresses: peers whose mail is not judged by SPF. */
    static Set<String> routePeers(PosthornConfig config) {
        Set<String> peers = new HashSet<>();
        for (String target : config.routes.values()) {
            String host = target.strip().split("\\s+")[0];
            if (host.startsWith("[")) {
                host = host.substring(1, Math.max(1, host.indexOf(']')));
            } else if (host.indexOf(':') == host.lastIndexOf(':') && host.contains(":")) {
                host = host.substring(0, host.indexOf(':'));
            }
            if (host.matches("[0-9.]+") || host.contains(":")) {
                try {
                    peers.add(InetAddress.getByName(host).getHostAddress());
                } catch (UnknownHostException ignored) {
                    // Validated by the configuration check; nothing to trust otherwise.
                }
            }
        }
        return peers;
    }
}
