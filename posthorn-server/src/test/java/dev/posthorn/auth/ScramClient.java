package dev.posthorn.auth;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.posthorn.store.ScramCredentials;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** The client side of SCRAM-SHA-256 (RFC 5802 §3), written for tests from the RFC's formulas. */
public final class ScramClient {

    private final String user;
    private final String password;
    private final String gs2Header;
    private final String clientNonce;
    private String clientFirstBare;
    private byte[] serverSignature;

    public ScramClient(String user, String password, String gs2Header) {
        this.user = user;
        this.password = password;
        this.gs2Header = gs2Header;
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        this.clientNonce = Base64.getEncoder().encodeToString(random);
    }

    public byte[] first() {
        clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
        return (gs2Header + clientFirstBare).getBytes(UTF_8);
    }

    public byte[] finalMessage(byte[] serverFirstBytes) {
        String serverFirst = new String(serverFirstBytes, UTF_8);
        Map<String, String> attrs = new HashMap<>();
        for (String part : serverFirst.split(",")) {
            attrs.put(part.substring(0, 1), part.substring(2));
        }
        if (!attrs.get("r").startsWith(clientNonce)) {
            throw new IllegalStateException("server nonce does not extend ours");
        }
        byte[] salted = ScramCredentials.saltedPassword(password.toCharArray(),
                Base64.getDecoder().decode(attrs.get("s")), Integer.parseInt(attrs.get("i")));
        byte[] clientKey = ScramCredentials.hmac(salted, "Client Key".getBytes(UTF_8));
        byte[] storedKey = ScramCredentials.sha256(clientKey);
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(gs2Header.getBytes(UTF_8)) + ",r=" + attrs.get("r");
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(UTF_8);
        byte[] signature = ScramCredentials.hmac(storedKey, authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        serverSignature = ScramCredentials.hmac(ScramCredentials.hmac(salted, "Server Key".getBytes(UTF_8)), authMessage);
        return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(UTF_8);
    }

    public boolean serverSignatureValid(byte[] serverFinal) {
        String text = new String(serverFinal, UTF_8);
        return text.startsWith("v=") && MessageDigest.isEqual(Base64.getDecoder().decode(text.substring(2)), serverSignature);
    }
}
