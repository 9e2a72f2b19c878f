package dev.posthorn.delivery.target;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * A local delivery that failed, explained as a reply from the catalogue, so that {@code posthorn queue show},
 * the log and the DSN say why in the same words as for a remote failure. Every local failure is temporary
 * (RFC 3463 class 4): an operator can fix a mailbox path, free the disk or raise a quota; the queue retries
 * and, at the give-up time, bounces with this reply.
 */
final class LocalFailures {

    private LocalFailures() {
    }

    static Outcome delivered(String mailbox) {
        return outcome(Outcome.Kind.DELIVERED, ReplyName.MAILBOX_DELIVERED.reply(mailbox), mailbox);
    }

    static Outcome of(IOException e, String mailbox) {
        String detail = String.valueOf(e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason()
                : e.getMessage()).toLowerCase(Locale.ROOT);
        Reply reply;
        if (detail.contains("no space left")) {
            reply = ReplyName.MAILBOX_DISK_FULL.reply(mailbox); // ENOSPC: RFC 3463 X.3.1, system storage
        } else if (detail.contains("quota")) {
            reply = ReplyName.MAILBOX_OVER_QUOTA.reply(mailbox); // EDQUOT: RFC 3463 X.2.2, mailbox full
        } else if (e instanceof NotDirectoryException || e instanceof FileAlreadyExistsException
                || e instanceof AccessDeniedException || detail.contains("not a directory")
                || detail.contains("permission denied") || detail.contains("read-only")) {
            reply = ReplyName.MAILBOX_UNUSABLE.reply(mailbox, describe(e)); // RFC 3463 X.2.0
        } else {
            reply = ReplyName.MAILBOX_WRITE_FAILED.reply(mailbox, describe(e)); // RFC 3463 X.3.0
        }
        return outcome(Outcome.Kind.DEFERRED, reply, mailbox);
    }

    private static String describe(IOException e) {
        if (e instanceof FileSystemException fs) {
            return (fs.getReason() == null ? e.getClass().getSimpleName() : fs.getReason())
                    + (fs.getFile() == null ? "" : " (" + fs.getFile() + ")");
        }
        return String.valueOf(e.getMessage());
    }

    private static Outcome outcome(Outcome.Kind kind, Reply reply, String mailbox) {
        return new Outcome(kind, RemoteReply.local(reply.code(), reply.enhanced(), String.join(" ", reply.lines())),
                "maildir " + mailbox);
    }
}
