package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one-source-of-truth link: every reply Posthorn sends (codes/replies.json, by {@link ReplyName}, and the
 * replies its delivery makes up) has its basic and enhanced code explained by the catalogue in every language,
 * within the class its RFC allows, so the wire and the pages cannot drift.
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
            assertExplainedWithinTheRfc(catalogue, name.name(), reply.code(), reply.enhanced());
        }
    }

    /**
     * The replies the delivery side makes up when the remote gave none (a refused connection, TLS that cannot be
     * had: "451 4.7.10"), written as {@code RemoteReply.local(451, "4.7.10", ...)}, end up in bounces and in
     * {@code posthorn queue show}; {@code explain} must explain each and not call it outside the RFC. They are
     * read from the sources, so a call added on any branch is covered once merged.
     */
    @ParameterizedTest
    @MethodSource("languages")
    void everyReplyTheDeliverySideMakesUpIsExplained(String language) throws IOException {
        Catalogue catalogue = Catalogue.load(language);
        List<String> calls = new ArrayList<>();
        Map<String, List<String>> literal = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher call = LOCAL_CALL.matcher(source);
                while (call.find()) {
                    calls.add(file.getFileName() + ": " + call.group(1));
                    Matcher codes = LITERAL_CODES.matcher(call.group(1));
                    if (codes.lookingAt()) {
                        literal.computeIfAbsent(codes.group(1) + " " + codes.group(2), k -> new ArrayList<>())
                                .add(file.getFileName().toString());
                    } else {
                        // Not a literal: it must pass on a reply that already has its codes (a ReplyName's, checked
                        // above, or a remote's), not compute new ones.
                        assertThat(call.group(1)).as("%s: a synthesised reply's codes", file.getFileName())
                                .matches(PASSED_ON);
                    }
                }
            }
        }
        assertThat(literal).as("RemoteReply.local calls found: %s", calls).containsKeys("451 4.7.10", "451 4.4.1");
        literal.forEach((codes, where) -> {
            String[] parts = codes.split(" ");
            assertExplainedWithinTheRfc(catalogue, codes + " in " + where, Integer.parseInt(parts[0]), parts[1]);
        });
    }

    private static final Pattern LOCAL_CALL = Pattern.compile("RemoteReply\\.local\\(([^;]{0,200})");
    private static final Pattern LITERAL_CODES = Pattern.compile("\\s*(\\d{3}),\\s*\"(\\d\\.\\d{1,3}\\.\\d{1,3})\"");
    private static final String PASSED_ON = "(?s)\\s*(\\w+)\\.code\\(\\),\\s*\\1\\.enhanced\\(\\),.*";

    private static void assertExplainedWithinTheRfc(Catalogue catalogue, String what, int code, String enhanced) {
        String language = catalogue.language().language();
        assertThat(catalogue.find(Integer.toString(code))).as("%s: basic code %d in %s", what, code, language)
                .isPresent();
        if (enhanced != null) {
            Optional<CodeEntry> entry = catalogue.find(enhanced);
            assertThat(entry).as("%s: enhanced code %s in %s", what, enhanced, language).isPresent();
            assertThat(entry.get().outsideClassRule()).as("%s: %s is outside its RFC's class rule", what, enhanced)
                    .isFalse();
        }
    }

    /**
     * RFC 2034 §4: enhanced codes go on every 2xx, 4xx and 5xx reply "other than initial greeting and any response
     * to HELO or EHLO"; 3xx replies are "NOT included". Where the RFC does not ask for one Posthorn sends none: the
     * greetings (220, and 554 for a refused client), the EHLO/HELO replies and the 3xx replies go without.
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
