package dev.posthorn.delivery.lmtp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One transaction to hand to an LMTP server: the envelope and the message as the spool keeps it (lines ending in
 * CRLF, not dot-stuffed). The final-delivery headers ({@code Return-Path:}, {@code Delivered-To:}) are the LMTP
 * server's to add, not ours.
 *
 * @param sender     the reverse-path, "" for the null sender of bounces
 * @param recipients in the order whose replies the result keeps
 * @param size       the message's size in octets, for SIZE when the server announces a limit (RFC 1870)
 * @param eightBit   the message was received with BODY=8BITMIME (RFC 6152)
 * @param smtputf8   the message was received with SMTPUTF8 (RFC 6531)
 * @param content    opened once to send the message, and once more to look for 8-bit octets when the server
 *                   lacks 8BITMIME
 */
public record LmtpMessage(String sender, List<String> recipients, long size, boolean eightBit, boolean smtputf8,
                          Content content) {

    public LmtpMessage {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a transaction has at least one recipient");
        }
    }

    /** Where the message's octets come from; each call opens a new stream from the start. */
    @FunctionalInterface
    public interface Content {
        InputStream open() throws IOException;

        static Content of(Path file) {
            return () -> Files.newInputStream(file);
        }

        static Content of(byte[] octets) {
            return () -> new ByteArrayInputStream(octets);
        }
    }

    /** A message in memory with the flags derived from its octets: for tests and small notices. */
    public static LmtpMessage of(String sender, List<String> recipients, byte[] octets) {
        boolean eightBit = false;
        for (byte b : octets) {
            eightBit |= b < 0;
        }
        return new LmtpMessage(sender, recipients, octets.length, eightBit, false, Content.of(octets));
    }
}
