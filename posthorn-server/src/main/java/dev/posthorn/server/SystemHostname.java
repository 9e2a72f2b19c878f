package dev.posthorn.server;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's host name for the greeting when the configuration gives none: the fully qualified name
 * when the resolver knows one (as {@code hostname -f}), else the plain host name, else "localhost".
 */
public final class SystemHostname {

    private SystemHostname() {
    }

    public static String get() {
        String name = plainName();
        if (name.contains(".")) {
            return name;
        }
        try {
            String canonical = InetAddress.getByName(name).getCanonicalHostName();
            // A loopback address reverse-resolves to "localhost": that is not the machine's name.
            if (canonical.contains(".") && !canonical.startsWith("localhost") && !isAddress(canonical)) {
                return canonical;
            }
        } catch (IOException e) {
            // keep the plain name
        }
        return name;
    }

    private static String plainName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            if (!name.isBlank() && !isAddress(name)) {
                return name;
            }
        } catch (IOException e) {
            // fall through to /etc/hostname
        }
        try {
            String name = Files.readString(Path.of("/etc/hostname")).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException e) {
            // fall through
        }
        return "localhost";
    }

    private static boolean isAddress(String name) {
        return name.contains(":") || name.chars().allMatch(c -> Character.isDigit(c) || c == '.');
    }
}
