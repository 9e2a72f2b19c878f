package dev.posthorn.delivery.remote;

import java.io.IOException;

/**
 * A conversation with a remote server that could not go on: the remote's reply when there was one
 * (a 554 greeting, a refused EHLO), else a reply we synthesise ({@code 451 4.4.2} for a lost connection).
 */
public final class SmtpClientException extends IOException {

    private final RemoteReply reply;

    public SmtpClientException(RemoteReply reply, String message) {
        super(message + ": " + reply.oneLine());
        this.reply = reply;
    }

    public SmtpClientException(RemoteReply reply, String message, Throwable cause) {
        super(message + ": " + reply.oneLine(), cause);
        this.reply = reply;
    }

    public RemoteReply reply() {
        return reply;
    }
}
