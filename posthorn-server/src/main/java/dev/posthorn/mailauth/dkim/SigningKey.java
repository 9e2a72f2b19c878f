package dev.posthorn.mailauth.dkim;

import java.security.PrivateKey;
import java.security.PublicKey;

/** A private key with the domain and selector its public half is published under. */
public record SigningKey(String domain, String selector, DkimAlgorithm algorithm, PrivateKey privateKey,
                         PublicKey publicKey) {
}
