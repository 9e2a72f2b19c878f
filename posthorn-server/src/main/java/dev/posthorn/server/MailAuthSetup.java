package dev.posthorn.server;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.mailauth.dkim.DkimKeyStore;
import dev.posthorn.mailauth.dkim.DkimKeys;
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
        DkimKeyStore keys = PgDkimKeys.forStore(store, dataDir);
        if (keys instanceof PgDkimKeys database) {
            warnOfKeyFilesNotImported(database, dataDir);
        }
        return new MessageAuthentication(config.mailauth, hostname, keys,
                MxResolver.resolverFor(config.dns), new DmarcEvaluator(publicSuffixList(config), RandomGenerator.getDefault()),
                Clock.systemUTC(), routePeers(config), sealDomains);
    }

    /**
     * A site that moves to PostgreSQL keeps its keys in {@code <data_dir>/dkim} until {@code posthorn dkim import}
     * copies them; meanwhile the server signs only with the database's keys, and a domain without one there goes
     * out unsigned. Said at every start while it lasts. Not imported here: two nodes may hold different files
     * under one selector, and which of them DNS publishes is for the administrator to decide.
     */
    static void warnOfKeyFilesNotImported(PgDkimKeys database, Path dataDir) {
        DkimKeys files = DkimKeys.under(dataDir);
        List<DkimKeys.KeyInfo> onDisk;
        List<DkimKeys.KeyInfo> inDatabase;
        try {
            onDisk = files.list();
            if (onDisk.isEmpty()) {
                return;
            }
            inDatabase = database.list();
        } catch (IOException | RuntimeException e) {
            LOG.warn("DKIM: cannot compare the key files in {} with {}: {}", files.root(), database.describe(),
                    e.toString());
            return;
        }
        Set<String> known = new HashSet<>();
        Set<String> signingDomains = new HashSet<>();
        for (DkimKeys.KeyInfo key : inDatabase) {
            known.add(key.domain() + " " + key.selector());
            if (key.active()) {
                signingDomains.add(key.domain());
            }
        }
        List<String> missing = new ArrayList<>();
        java.util.SortedSet<String> unsigned = new java.util.TreeSet<>();
        for (DkimKeys.KeyInfo key : onDisk) {
            if (!known.contains(key.domain() + " " + key.selector())) {
                missing.add(key.selector() + "._domainkey." + key.domain());
                if (key.active() && !signingDomains.contains(key.domain())) {
                    unsigned.add(key.domain());
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        LOG.warn("DKIM: {} key(s) in {} are not in {} ({}), and the server signs only with the database's keys{}. "
                + "Run once, on this node: posthorn dkim import --config <this node's configuration file>",
                missing.size(), files.root(), database.describe(), String.join(", ", missing),
                unsigned.isEmpty() ? "" : ": mail from " + String.join(", ", unsigned)
                        + " goes out UNSIGNED until then");
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
