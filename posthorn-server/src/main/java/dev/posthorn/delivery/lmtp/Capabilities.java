package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.RemoteReply;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the server's LHLO keywords let us send, decided before the transaction: a message the server must not
 * get is refused here, with the reason, instead of being sent to fail or, worse, to be misread.
 */
final class Capabilities {

    private Capabilities() {
    }

    /**
     * @param all          a refusal for every recipient, or null
     * @param perRecipient refusals of single recipients by index (addresses the server cannot take)
     * @param smtputf8     send MAIL with the SMTPUTF8 parameter
     * @param size         the octets DATA will carry (RFC 1870 §4's count: CRLF line ends, no transparency dots),
     *                     measured when the server announced SIZE, else the message's declared size
     */
    record Verdict(RemoteReply all, Map<Integer, RemoteReply> perRecipient, boolean smtputf8, long size) {
        RemoteReply refusal(int recipient) {
            return all != null ? all : perRecipient.get(recipient);
        }
    }

    static Verdict check(LmtpMessage m, Predicate<String> supports, String sizeParameter, String peer)
            throws IOException {
        Long limit = sizeLimit(sizeParameter);
        // The declared size may not be what goes out (bare LFs become CRLF on the wire): with SIZE at the server,
        // what MAIL announces and what is held against the limit is the count of the octets DATA will carry.
        long size = sizeParameter != null ? wireSize(m.content()) : m.size();
        if (limit != null && size > limit) {
            // RFC 1870 §6: a client should not send a message larger than the server announced it takes.
            return refuseAll(RemoteReply.local(552, "5.3.4", "Message of " + size + " bytes exceeds the limit of "
                    + limit + " bytes announced by the LMTP server at " + peer), size);
        }
        Octets octets = null;
        if (m.eightBit() && !supports.test("8BITMIME")) {
            octets = Octets.scan(m.content());
            if (octets.eightBit()) {
                // RFC 6152 §3: no 8-bit data to a server without 8BITMIME; Posthorn does not convert messages.
                return refuseAll(RemoteReply.local(554, "5.6.3", "The LMTP server at " + peer
                        + " does not support 8BITMIME, which this message needs"), size);
            }
        }
        if (!m.smtputf8() || supports.test("SMTPUTF8")) {
            return new Verdict(null, Map.of(), m.smtputf8(), size);
        }
        // RFC 6531 §3.2: without SMTPUTF8 at the server, no internationalized address and no internationalized
        // header may go to it. A message that asked for SMTPUTF8 but has neither (ASCII addresses, UTF-8 only in
        // the body) needs nothing the server lacks: it goes without the parameter, as Postfix sends it too.
        if (octets == null) {
            octets = Octets.scan(m.content());
        }
        if (!ascii(m.sender()) || octets.eightBitHeader()) {
            return refuseAll(RemoteReply.local(554, "5.6.7", "The LMTP server at " + peer
                    + " does not support SMTPUTF8, which this message needs (non-ASCII sender or header fields)"), size);
        }
        Map<Integer, RemoteReply> refused = new HashMap<>();
        for (int i = 0; i < m.recipients().size(); i++) {
            if (!ascii(m.recipients().get(i))) {
                refused.put(i, RemoteReply.local(553, "5.6.7", "The LMTP server at " + peer
                        + " does not support SMTPUTF8, which the non-ASCII address <" + m.recipients().get(i) + "> needs"));
            }
        }
        return new Verdict(null, Map.copyOf(refused), false, size);
    }

    private static Verdict refuseAll(RemoteReply reply, long size) {
        return new Verdict(reply, Map.of(), false, size);
    }

    /**
     * The message's size as {@link DotStuffingOutputStream} sends it, without the transparency dots and the final
     * ".": a bare CR or LF counts as CRLF, and an unfinished last line gets its CRLF (RFC 1870 §4).
     */
    static long wireSize(LmtpMessage.Content content) throws IOException {
        long size = 0;
        boolean pendingCr = false;
        boolean lineOpen = false;
        byte[] buf = new byte[65536];
        try (InputStream in = content.open()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (pendingCr) {
                        pendingCr = false;
                        size += 2;
                        lineOpen = false;
                        if (b == '\n') {
                            continue;
                        }
                    }
                    if (b == '\r') {
                        pendingCr = true;
                    } else if (b == '\n') {
                        size += 2;
                        lineOpen = false;
                    } else {
                        size++;
                        lineOpen = true;
                    }
                }
            }
        }
        return pendingCr || lineOpen ? size + 2 : size;
    }

    /** The limit of "SIZE n" (RFC 1870 §4); none for a bare SIZE, SIZE 0 or a parameter we cannot read. */
    private static Long sizeLimit(String parameter) {
        if (parameter == null || parameter.isEmpty()) {
            return null;
        }
        try {
            long limit = Long.parseLong(parameter.trim());
            return limit > 0 ? limit : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean ascii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    /** Whether the message has octets above 127 at all, and in its header section (up to the first empty line). */
    record Octets(boolean eightBit, boolean eightBitHeader) {
        static Octets scan(LmtpMessage.Content content) throws IOException {
            boolean inHeader = true;
            boolean eightBit = false;
            boolean eightBitHeader = false;
            int lineLength = 0;
            byte[] buf = new byte[65536];
            try (InputStream in = content.open()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        byte b = buf[i];
                        if (b < 0) {
                            eightBit = true;
                            eightBitHeader |= inHeader;
                        }
                        if (b == '\n') {
                            // An empty line (CRLF or LF alone) ends the header section (RFC 5322 §2.1).
                            inHeader &= lineLength > 0;
                            lineLength = 0;
                        } else if (b != '\r') {
                            lineLength++;
                        }
                    }
                    if (eightBitHeader) {
                        break;
                    }
                }
            }
            return new Octets(eightBit, eightBitHeader);
        }
    }
}
