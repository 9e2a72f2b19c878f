package dev.posthorn.testing;

import java.io.IOException;

/** Asks a node's MX port whether it takes mail for an address, as a sending server would find out. */
public final class Recipients {

    private Recipients() {
    }

    /** The reply to {@code RCPT TO:<address>} in a fresh session (greeting, EHLO, MAIL FROM first). */
    public static String rcptReply(int mxPort, String address) throws IOException {
        try (SmtpWire wire = SmtpWire.connect(mxPort)) {
            // Long enough for a node whose database has gone to give up on it (store.connect_timeout_seconds).
            wire.socket().setSoTimeout(15_000);
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<someone@example.org>");
            return wire.command("RCPT TO:<" + address + ">");
        }
    }
}
