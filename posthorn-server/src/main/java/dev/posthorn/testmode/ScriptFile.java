package dev.posthorn.testmode;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.posthorn.smtp.session.ReplyScript;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A script in TOML, for tests in any language ({@code posthorn serve --capture --script FILE}) and for Java tests
 * that keep their scenarios in a file. Each {@code [[rule]]} names a stage, optional {@code sender} and
 * {@code recipient} globs, and exactly one behaviour:
 * <pre>
 * [[rule]]
 * stage = "rcpt"                 # connect, ehlo, starttls, auth, mail, rcpt, data, end_of_data
 * recipient = "*@blocked.test"
 * reply = "550 5.1.1"            # or with a text: "550 5.1.1 No such user"
 *
 * [[rule]]
 * stage = "rcpt"
 * recipient = "flaky@*"
 * fail_first = 2                 # with reply = "451 4.3.0"
 * reply = "451 4.3.0"
 *
 * [[rule]]
 * stage = "rcpt"
 * greylist_seconds = 300
 *
 * [[rule]]
 * stage = "mail"
 * rate_limit = 3                 # messages per sender ...
 * per_seconds = 60               # ... within this window
 *
 * [[rule]]
 * stage = "end_of_data"
 * delay_ms = 2000                # slow reply
 *
 * [[rule]]
 * stage = "data"
 * drop = true                    # 354, then the connection drops
 * </pre>
 */
public final class ScriptFile {

    /** The file's shape (snake_case keys). */
    public static final class Document {
        public String triggerDomain = Script.DEFAULT_TRIGGER_DOMAIN;
        public List<RuleEntry> rule = new ArrayList<>();
    }

    /** One {@code [[rule]]}. */
    public static final class RuleEntry {
        public String stage;
        public String sender;
        public String recipient;
        public String reply;
        public Integer failFirst;
        public Long greylistSeconds;
        public Integer rateLimit;
        public Long perSeconds;
        public Long delayMs;
        public Boolean drop;
    }

    private ScriptFile() {
    }

    public static Document read(Path file) throws IOException {
        TomlMapper mapper = TomlMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        return mapper.readValue(file.toFile(), Document.class);
    }

    /** The rules of a document, checked: a mistake names the rule (from 1) and the key. */
    public static List<Rule> rules(Document document) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < document.rule.size(); i++) {
            try {
                rules.add(rule(document.rule.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("[[rule]] " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return rules;
    }

    private static Rule rule(RuleEntry e) {
        if (e.stage == null) {
            throw new IllegalArgumentException("stage is missing");
        }
        ReplyScript.Stage stage;
        try {
            stage = ReplyScript.Stage.valueOf(e.stage.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException x) {
            throw new IllegalArgumentException("stage = \"" + e.stage
                    + "\": use connect, ehlo, starttls, auth, mail, rcpt, data or end_of_data");
        }
        List<Behaviour> behaviours = new ArrayList<>();
        if (e.failFirst != null) {
            behaviours.add(new Behaviour.FailFirst(e.failFirst, ScriptedReplies.of(required(e.reply, "fail_first"))));
        } else if (e.reply != null) {
            behaviours.add(new Behaviour.Answer(ScriptedReplies.of(e.reply)));
        }
        if (e.greylistSeconds != null) {
            behaviours.add(new Behaviour.Greylist(Duration.ofSeconds(e.greylistSeconds)));
        }
        if (e.rateLimit != null) {
            behaviours.add(new Behaviour.RateLimit(e.rateLimit,
                    Duration.ofSeconds(e.perSeconds == null ? 60 : e.perSeconds)));
        }
        if (e.delayMs != null) {
            behaviours.add(new Behaviour.Slow(Duration.ofMillis(e.delayMs)));
        }
        if (Boolean.TRUE.equals(e.drop)) {
            behaviours.add(new Behaviour.Drop());
        }
        if (behaviours.size() != 1) {
            throw new IllegalArgumentException("give exactly one of reply, fail_first (with reply), greylist_seconds, "
                    + "rate_limit, delay_ms, drop = true; found " + behaviours.size());
        }
        return new Rule(stage, e.sender, e.recipient, behaviours.get(0));
    }

    private static String required(String reply, String key) {
        if (reply == null) {
            throw new IllegalArgumentException(key + " needs reply = \"4xx ...\"");
        }
        return reply;
    }
}
