package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An attempt's TLS facts (issue 14) are part of the saved state: {@code queue show} prints the level and record,
 * and a notice rebuilt from the last attempt must still know the reply was Posthorn's own policy refusal. States
 * saved before these facts were kept must still read.
 */
class AttemptTlsStateTest {

    @Test
    void theTlsLevelAndAnOwnRefusalSurviveTheBoundedHistoryAndASave() throws Exception {
        MessageState state = new MessageState("MXQTLS1");
        RecipientState r = new RecipientState("bob@bad.secure.test", 0, false, Instant.EPOCH);
        state.recipients.add(r);
        r.addAttempt(new Attempt(Instant.EPOCH, "mx:bad.secure.test", "mx-bad.secure.test [127.0.0.1]:25", 451, "4.7.5",
                List.of("4.7.5 DANE (TLSA _25._tcp.mx-bad.secure.test 3 1 1 00…): does not match"), "means", "deferred",
                "dane (TLSA _25._tcp.mx-bad.secure.test 3 1 1 00…), failed: tlsa-invalid", true));

        Attempt read = StateFile.decode(StateFile.encode(state)).recipients.get(0).lastAttempt();
        assertThat(read.tls()).isEqualTo("dane (TLSA _25._tcp.mx-bad.secure.test 3 1 1 00…), failed: tlsa-invalid");
        assertThat(read.ownReply()).isTrue();
        assertThat(read.remoteHost()).isEqualTo("mx-bad.secure.test [127.0.0.1]:25");
    }

    @Test
    void aStateSavedBeforeTheTlsFactsStillReads() throws Exception {
        String old = """
                {"id":"MXQOLD1","recipients":[{"address":"bob@remote.test","index":0,"status":"DEFERRED",
                 "destination":"mx:remote.test","attempts":[{"at":"2026-12-01T10:15:02Z","destination":"mx:remote.test",
                 "remoteHost":"mx.remote.test [192.0.2.1]:25","code":451,"enhanced":"4.3.0","reply":["4.3.0 busy"],
                 "explanation":"means","outcome":"deferred"}]}]}
                """;
        Attempt a = StateFile.decode(old.getBytes(StandardCharsets.UTF_8)).recipients.get(0).lastAttempt();
        assertThat(a.code()).isEqualTo(451);
        assertThat(a.remoteHost()).isEqualTo("mx.remote.test [192.0.2.1]:25");
        assertThat(a.tls()).isNull();
        assertThat(a.ownReply()).isFalse();
    }
}
