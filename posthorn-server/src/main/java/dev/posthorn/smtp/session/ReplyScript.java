package dev.posthorn.smtp.session;

import dev.posthorn.codes.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Test mode only: a script that may answer a stage of a session in place of the server (a refusal, a slow
 * reply, a dropped connection), so that an application's tests meet the failures real servers give. The script
 * decides and the session applies: the protocol state machine never sees a scripted refusal, exactly as if the
 * command had been refused by a server that keeps no state for it (RFC 5321 §4.1.1: a refused MAIL, RCPT or
 * DATA changes nothing). A server without a script ({@code null} in {@link SessionServices}) never asks.
 */
@FunctionalInterface
public interface ReplyScript {

    /** Where in the session a script is asked, in the order a client meets them. */
    enum Stage {
        CONNECT, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, END_OF_DATA
    }

    /**
     * What the session knows at a stage.
     *
     * @param command    the command line as received ("RCPT TO:&lt;bob@x&gt;"), empty at CONNECT and END_OF_DATA
     * @param address    the path of MAIL or RCPT without its brackets ("" for the null sender), else null
     * @param sender     the transaction's reverse-path so far ("" for null, null outside a transaction)
     * @param recipients the recipients accepted so far in the transaction
     */
    record Moment(Stage stage, String clientAddress, String heloName, String command, String address, String sender,
                  List<String> recipients) {
        public Moment {
            Objects.requireNonNull(stage, "stage");
            recipients = List.copyOf(recipients);
        }
    }

    /** What the session does at a stage. */
    sealed interface Decision {

        /** The usual answer, after {@code delay}. */
        record Proceed(Duration delay) implements Decision {
        }

        /**
         * This reply instead of the usual one, after {@code delay}. A 4xx or 5xx refuses the command without
         * touching the session's state; a {@code 421} also closes the connection (RFC 5321 §3.8); a positive
         * reply replaces the text of the server's own positive reply (the command is carried out).
         */
        record Answer(Reply reply, Duration delay) implements Decision {
        }

        /**
         * Close the connection without a reply, after {@code delay}. At DATA the {@code 354} is sent first and the
         * connection closed while the client sends content; at END_OF_DATA the content has been read and the
         * message is thrown away, the client waiting for a reply that never comes.
         */
        record Drop(Duration delay) implements Decision {
        }
    }

    Decision PROCEED = new Decision.Proceed(Duration.ZERO);

    Decision at(Moment moment);
}
