package dev.posthorn.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;

/** The machine's host name for the greeting when the configuration gives none. */
final class SystemHostname {

    private SystemHostname() {
    }

    static String get() {
        try {
            String name = InetAddress.getLocalHost().getCanonicalHostName();
            if (name != null && !name.isBlank() && !Character.isDigit(name.charAt(0)) && !name.contains(":")) {
                return name;
            }
        } catch (UnknownHostException e) {
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
}
