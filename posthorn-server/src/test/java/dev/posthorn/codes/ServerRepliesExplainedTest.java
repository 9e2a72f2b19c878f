package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one-source-of-truth link: every reply Posthorn sends (codes/replies.json, by {@link ReplyName}) has its
 * basic and enhanced code explained by the catalogue in every language, so the wire and the pages cannot drift.
 */
class ServerRepliesExplainedTest {

    static Stream<String> languages() {
        return Catalogue.languages().stream();
    }

    @ParameterizedTest
    @MethodSource("languages")
    void everyServerReplyCodeIsExplained(String language) {
        Catalogue catalogue = Catalogue.load(language);
        for (ReplyName name : ReplyName.values()) {
            Reply reply = ServerReplies.instance().template(name);
            assertThat(catalogue.find(Integer.toString(reply.code())))
                    .as("%s: basic code %d in %s", name, reply.code(), language).isPresent();
            if (reply.enhanced() != null) {
                assertThat(catalogue.find(reply.enhanced()))
                        .as("%s: enhanced code %s in %s", name, reply.enhanced(), language).isPresent();
            }
        }
    }

    /**
     * RFC 2034 §4: enhanced codes go on every 2xx, 4xx and 5xx reply "other than initial greeting and any response
     * to HELO or EHLO", and never on a 3xx reply. The greetings (220, and 554 for a refused client) and the
     * EHLO/HELO replies go without.
     */
    @ParameterizedTest
    @EnumSource(ReplyName.class)
    void enhancedCodesAreWhereRfc2034PutsThem(ReplyName name) {
        Reply reply = ServerReplies.instance().template(name);
        boolean exempt = reply.code() / 100 == 3 || Set.of(ReplyName.GREETING, ReplyName.SERVICE_REFUSED,
                ReplyName.EHLO_GREETING, ReplyName.HELO_GREETING).contains(name);
        if (exempt) {
            assertThat(reply.enhanced()).as(name.name()).isNull();
        } else {
            assertThat(reply.enhanced()).as(name.name()).isNotNull();
        }
    }

    /** RFC 2034 §4: "530 4.7.0" would contradict itself. */
    @ParameterizedTest
    @EnumSource(ReplyName.class)
    void enhancedClassMatchesTheReplyDigit(ReplyName name) {
        Reply reply = ServerReplies.instance().template(name);
        if (reply.enhanced() != null) {
            assertThat(reply.enhanced().charAt(0)).isEqualTo(Integer.toString(reply.code()).charAt(0));
        }
    }
}
