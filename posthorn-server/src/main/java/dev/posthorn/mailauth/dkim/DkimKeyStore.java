package dev.posthorn.mailauth.dkim;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Where DKIM keys live: files under the data directory ({@link DkimKeys}, one node's own) or the shared
 * PostgreSQL database ({@code policy.PgDkimKeys}, every node the same). The server signs with {@link #signingKeys};
 * {@code posthorn dkim} and {@code posthorn dns} manage and list them through the same seam.
 */
public interface DkimKeyStore {

    /** Creates a key; the first of its algorithm for the domain becomes active at once. */
    DkimKeys.KeyInfo generate(String domain, String selector, DkimAlgorithm algorithm) throws IOException;

    /** Makes {@code selector} the one that signs for its algorithm (rotation: publish first, then activate). */
    DkimKeys.KeyInfo activate(String domain, String selector) throws IOException;

    /** Every key, by domain and selector. */
    List<DkimKeys.KeyInfo> list() throws IOException;

    /** The keys of one domain with their TXT records ({@link DkimKeys.KeyInfo#txtRecord()}): what DNS pages show. */
    List<DkimKeys.KeyInfo> list(String domain) throws IOException;

    /** The active keys of exactly this domain, Ed25519 first; empty when it has none. */
    List<SigningKey> activeKeys(String domain);

    /** Where the keys are, for messages: a directory or a database. */
    String describe();

    /**
     * The active keys for mail from {@code domain}: those of the domain itself, else of its nearest parent that
     * has keys (d= of a parent aligns under DMARC's relaxed mode). Ed25519 first. Empty when there are none.
     */
    default List<SigningKey> signingKeys(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (!dev.posthorn.mailauth.DomainNames.isValid(d) || d.endsWith(".")) {
            return List.of(); // from a message: never a path
        }
        while (true) {
            List<SigningKey> keys = activeKeys(d);
            if (!keys.isEmpty()) {
                return keys;
            }
            int dot = d.indexOf('.');
            if (dot < 0 || d.indexOf('.', dot + 1) < 0) {
                return List.of(); // never a top-level domain
            }
            d = d.substring(dot + 1);
        }
    }
}
