package dev.posthorn.testmode;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.smtp.session.ReplyScript;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The test mode's {@link ReplyScript}: address triggers, then rules in the order they were added. Deterministic:
 * the same commands at the same instants of its {@link Clock} get the same replies, so stateful rules
 * (greylisting, rate limits, "fail twice then accept") can be tested with a clock the test moves.
 *
 * <p>Address triggers need no rule: a recipient whose domain is the trigger domain ({@code fail.test} by default)
 * and whose local part is a reply ({@code 451-4.7.1@fail.test}, {@code 550@fail.test}) gets exactly that reply
 * at RCPT; a sender so written gets it at MAIL.
 *
 * <p>Rules added before {@link #seal()} stay; {@link #reset()} drops the ones added after it, with every counter
 * and the event log, so each test starts from the same script.
 */
public final class Script implements ReplyScript {

    public static final String DEFAULT_TRIGGER_DOMAIN = "fail.test";

    private final Clock clock;
    private final String hostname;
    private final String triggerDomain;
    private final List<Rule> rules = new ArrayList<>();
    private int sealed;
    private final Map<String, Integer> attempts = new HashMap<>();
    private final Map<String, Instant> greylisted = new HashMap<>();
    private final Map<String, Deque<Instant>> transactions = new HashMap<>();
    private final List<ScriptEvent> events = new ArrayList<>();

    /**
     * @param triggerDomain the domain of address triggers; null turns them off
     */
    public Script(Clock clock, String hostname, String triggerDomain) {
        this.clock = clock;
        this.hostname = hostname;
        this.triggerDomain = triggerDomain == null ? null : triggerDomain.toLowerCase(Locale.ROOT);
    }

    public synchronized Script add(Rule rule) {
        rules.add(rule);
        return this;
    }

    public synchronized List<Rule> rules() {
        return List.copyOf(rules);
    }

    /** Rules added so far are the script's own; {@link #reset()} keeps them. */
    public synchronized void seal() {
        sealed = rules.size();
    }

    /** Back to the sealed rules, with no state and no events: a new test. */
    public synchronized void reset() {
        rules.subList(sealed, rules.size()).clear();
        attempts.clear();
        greylisted.clear();
        transactions.clear();
        events.clear();
    }

    /** What the script did to clients, oldest first. */
    public synchronized List<ScriptEvent> events() {
        return List.copyOf(events);
    }

    /** The start of a rule at a stage: {@code script.at(RCPT).recipient("*@x.test").reply("550 5.1.1")}. */
    public When at(Stage stage) {
        return new When(stage, null, null);
    }

    @Override
    public synchronized Decision at(Moment moment) {
        Optional<Reply> triggered = trigger(moment);
        if (triggered.isPresent()) {
            return answer(moment, triggered.get(), "address trigger");
        }
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.matches(moment)) {
                Decision decision = apply(i, rule.behaviour(), moment);
                if (decision != PROCEED) {
                    return decision;
                }
            }
        }
        return PROCEED;
    }

    private Optional<Reply> trigger(Moment moment) {
        if (triggerDomain == null || moment.address() == null
                || (moment.stage() != Stage.RCPT && moment.stage() != Stage.MAIL)) {
            return Optional.empty();
        }
        String address = moment.address();
        int at = address.lastIndexOf('@');
        if (at < 0 || !address.substring(at + 1).toLowerCase(Locale.ROOT).equals(triggerDomain)) {
            return Optional.empty();
        }
        return ScriptedReplies.parse(address.substring(0, at)).filter(r -> r.code() >= 400);
    }

    private Decision apply(int index, Behaviour behaviour, Moment moment) {
        Instant now = clock.instant();
        return switch (behaviour) {
            case Behaviour.Answer answer -> answer(moment, answer.reply(), "");
            case Behaviour.FailFirst fail -> {
                String key = index + " " + keyOf(moment);
                int seen = attempts.merge(key, 1, Integer::sum);
                yield seen <= fail.times()
                        ? answer(moment, fail.reply(), "attempt " + seen + " of " + fail.times() + " scripted to fail")
                        : PROCEED;
            }
            case Behaviour.Greylist grey -> {
                String triple = index + " " + moment.clientAddress() + " " + Rule.senderOf(moment) + " "
                        + String.join(",", Rule.recipientsOf(moment));
                Instant first = greylisted.putIfAbsent(triple, now);
                if (first != null && !now.isBefore(first.plus(grey.period()))) {
                    yield PROCEED;
                }
                Instant since = first == null ? now : first;
                long wait = Math.max(1, Duration.between(now, since.plus(grey.period())).toSeconds());
                // 451 4.7.1 as greylisting servers send it, though RFC 3463 keeps X.7.1 for permanent failures: a
                // scripted reply, like any a test writes, so not one of the server's own replies (ReplyName).
                yield answer(moment, new Reply(451, "4.7.1", "Greylisted: try again in " + wait + " seconds"),
                        first == null ? "greylisted, first attempt"
                        : "greylisted, retried too early");
            }
            case Behaviour.RateLimit limit -> {
                String sender = String.valueOf(Rule.senderOf(moment)).toLowerCase(Locale.ROOT);
                Deque<Instant> recent = transactions.computeIfAbsent(index + " " + sender, s -> new ArrayDeque<>());
                while (!recent.isEmpty() && !recent.peekFirst().isAfter(now.minus(limit.window()))) {
                    recent.removeFirst();
                }
                if (recent.size() >= limit.messages()) {
                    yield answer(moment, ReplyName.TEST_RATE_LIMITED.reply(hostname, sender),
                            "rate limit of " + limit.messages() + " per " + limit.window().toSeconds() + "s");
                }
                recent.addLast(now);
                yield PROCEED;
            }
            case Behaviour.Slow slow -> {
                record(moment, null, "answered " + slow.delay().toMillis() + " ms late");
                yield new Decision.Proceed(slow.delay());
            }
            case Behaviour.Drop drop -> {
                record(moment, null, moment.stage() == Stage.DATA
                        ? "354 sent, then the connection was dropped during the content"
                        : "connection dropped without a reply");
                yield new Decision.Drop(Duration.ZERO);
            }
        };
    }

    private static String keyOf(Moment moment) {
        if (moment.address() != null) {
            return moment.address().toLowerCase(Locale.ROOT);
        }
        String sender = Rule.senderOf(moment);
        return (sender == null ? "" : sender) + " " + String.join(",", Rule.recipientsOf(moment));
    }

    private Decision answer(Moment moment, Reply reply, String why) {
        record(moment, reply, why);
        return new Decision.Answer(reply, Duration.ZERO);
    }

    private void record(Moment moment, Reply reply, String action) {
        events.add(new ScriptEvent(clock.instant(), moment.stage(), moment.command(), reply, action));
    }

    /** A rule being written: its stage and patterns so far; a behaviour method adds it to the script. */
    public final class When {
        private final Stage stage;
        private final String sender;
        private final String recipient;

        private When(Stage stage, String sender, String recipient) {
            this.stage = stage;
            this.sender = sender;
            this.recipient = recipient;
        }

        /** Only for senders matching this glob. */
        public When sender(String glob) {
            return new When(stage, glob, recipient);
        }

        /** Only for recipients matching this glob. */
        public When recipient(String glob) {
            return new When(stage, sender, glob);
        }

        /** Always this reply: {@code "550 5.1.1"}, {@code "421"}, {@code "250 2.0.0 Ok: queued as X"}. */
        public Script reply(String spec) {
            return then(new Behaviour.Answer(ScriptedReplies.of(spec)));
        }

        public Script reply(Reply reply) {
            return then(new Behaviour.Answer(reply));
        }

        /** The first {@code times} attempts per address get the reply, later ones go through. */
        public Script failFirst(int times, String spec) {
            return then(new Behaviour.FailFirst(times, ScriptedReplies.of(spec)));
        }

        /** {@code 451 4.7.1} until {@code period} has passed since the first attempt of a triple. */
        public Script greylist(Duration period) {
            return then(new Behaviour.Greylist(period));
        }

        /** {@code 421 4.7.0} past {@code messages} per sender within {@code window}. */
        public Script rateLimit(int messages, Duration window) {
            return then(new Behaviour.RateLimit(messages, window));
        }

        public Script delay(Duration delay) {
            return then(new Behaviour.Slow(delay));
        }

        public Script drop() {
            return then(new Behaviour.Drop());
        }

        private Script then(Behaviour behaviour) {
            return add(new Rule(stage, sender, recipient, behaviour));
        }
    }
}
