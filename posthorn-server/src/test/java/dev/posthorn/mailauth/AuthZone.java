package dev.posthorn.mailauth;

import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Test zones for mail authentication, served by a real DNS server (unbound) on loopback: SPF, DMARC and DKIM
 * key records, TXT values split into strings of at most 255 octets as DNS requires.
 */
final class AuthZone {

    private final List<String> records = new ArrayList<>();

    /** A TXT record; long values become several character-strings, as operators publish them. */
    AuthZone txt(String name, String value) {
        StringBuilder rr = new StringBuilder(name).append(". TXT");
        for (int i = 0; i < value.length(); i += 255) {
            rr.append(' ').append(escape(value.substring(i, Math.min(value.length(), i + 255))));
        }
        records.add(rr.toString());
        return this;
    }

    /**
     * A character-string in zone-file syntax without quotes (unbound.conf's own quoting would keep them as
     * data): every octet that is not a letter, digit or one of "+/=._-:@" as a decimal escape.
     */
    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (Character.isLetterOrDigit(c) && c < 128 || "+/=._-:@".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append(String.format("\\%03d", (int) c));
            }
        }
        return out.toString();
    }

    AuthZone record(String rr) {
        records.add(rr);
        return this;
    }

    /** Publishes a key at selector._domainkey.domain. */
    AuthZone key(DkimKeys.KeyInfo key) {
        return txt(key.recordName(), key.txtRecord());
    }

    UnboundServer start(Path dir, List<String> refused) throws IOException, InterruptedException {
        return UnboundServer.start(dir, List.of("test."), records, refused);
    }

    /** A key file dkimpy reads: PKCS#8 PEM for RSA, the base64 32-octet seed for Ed25519 (dkimpy's format). */
    static Path dkimpyKey(DkimKeys.KeyInfo key, Path dir) throws IOException {
        Path file = dir.resolve(key.domain() + "-" + key.selector() + ".key");
        if (key.algorithm() == DkimAlgorithm.RSA_SHA256) {
            Files.copy(key.file(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            PrivateKey priv = DkimKeys.readPrivate(key.file(), DkimAlgorithm.ED25519_SHA256);
            byte[] der = priv.getEncoded();
            Files.writeString(file, Base64.getEncoder().encodeToString(Arrays.copyOfRange(der, der.length - 32, der.length)));
        }
        return file;
    }
}
