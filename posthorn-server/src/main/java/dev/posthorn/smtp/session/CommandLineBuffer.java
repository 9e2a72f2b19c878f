package dev.posthorn.smtp.session;

import dev.posthorn.smtp.protocol.LineFault;

/** A command line as read (without CRLF): bytes in a reused buffer, its length, and any fault. */
record CommandLineBuffer(byte[] bytes, int length, LineFault fault) {
}
