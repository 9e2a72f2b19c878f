package dev.posthorn.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.codes.ServerReplies;
import dev.posthorn.config.PosthornConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * /work/shared/SMTP-CONFORMANCE.md for the MX port, one row per checklist item (several rows where an item
 * names several cases). Each row feeds a fresh {@link SmtpProtocol} a setup sequence, then the line under test,
 * and compares the reply: {@code "code enhanced text-prefix"} against the reply's summary line (see
 * {@link ProtocolHarness#describe} for non-reply actions). Rows about state add follow-up lines and checks.
 * Items that only the session or the wire can show are in {@code WireConformanceTest}.
 */
class ConformanceTableTest {

    static final String EHLO = "EHLO client.example";
    static final String HELO = "HELO client.example";
    static final String MAIL = "MAIL FROM:<sender@example.org>";
    static final String RCPT = "RCPT TO:<postmaster@posthorn.test>";
    static final String[] READY = {EHLO, MAIL, RCPT};

    /** One table row. */
    static final class Row {
        final String id;
        final List<String> given = new ArrayList<>();
        String when;
        String expect;
        final List<String[]> then = new ArrayList<>();
        final List<Consumer<ProtocolHarness>> checks = new ArrayList<>();
        boolean tls;
        int maxErrors = 20;

        Row(String id) {
            this.id = id;
        }

        Row given(String... lines) {
            given.addAll(Arrays.asList(lines));
            return this;
        }

        Row when(String line, String expected) {
            this.when = line;
            this.expect = expected;
            return this;
        }

        Row then(String line, String expected) {
            then.add(new String[] {line, expected});
            return this;
        }

        Row check(Consumer<ProtocolHarness> check) {
            checks.add(check);
            return this;
        }

        Row tls() {
            this.tls = true;
            return this;
        }

        Row maxErrors(int max) {
            this.maxErrors = max;
            return this;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    static Row row(String id) {
        return new Row(id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void conforms(Row row) {
        ProtocolHarness h = new ProtocolHarness(row.tls, row.maxErrors);
        for (String line : row.given) {
            if (line.startsWith("!")) {
                // A setup step that is meant to be refused.
                h.feed(line.substring(1));
                continue;
            }
            String result = h.feed(line);
            assertThat(result).as("%s: setup line %s", row.id, line).doesNotStartWith("4").doesNotStartWith("5")
                    .doesNotStartWith("CLOSE:").doesNotStartWith("DISCARD:");
        }
        assertThat(h.feed(row.when)).as("%s: %s", row.id, row.when).startsWith(row.expect);
        for (String[] next : row.then) {
            assertThat(h.feed(next[0])).as("%s: then %s", row.id, next[0]).startsWith(next[1]);
        }
        for (Consumer<ProtocolHarness> check : row.checks) {
            check.accept(h);
        }
    }

    static Stream<Arguments> table() {
        List<Row> rows = new ArrayList<>();
        section0(rows);
        section1(rows);
        section2(rows);
        section3(rows);
        section4(rows);
        section5(rows);
        section6(rows);
        section7(rows);
        section8and9(rows);
        section12(rows);
        section13(rows);
        section14(rows);
        return rows.stream().map(Arguments::of);
    }

    // §0.1 Enhanced status codes, checked over every reply in the catalogue.

    /** The replies RFC 2034 exempts from carrying an ESC: greeting, EHLO/HELO, and 3yz. */
    static final List<ReplyName> NO_ESC = List.of(ReplyName.GREETING, ReplyName.SERVICE_REFUSED,
            ReplyName.EHLO_GREETING, ReplyName.HELO_GREETING, ReplyName.AUTH_CHALLENGE, ReplyName.START_MAIL_INPUT);

    static Reply template(ReplyName name) {
        return ServerReplies.instance().template(name);
    }

    static void section0(List<Row> rows) {
        rows.add(row("ESC-1 every 2yz/4yz/5yz reply starts with an ESC").when(EHLO, "250 ").check(h -> {
            for (ReplyName name : ReplyName.values()) {
                Reply reply = template(name);
                if (NO_ESC.contains(name)) {
                    assertThat(reply.enhanced()).as(name.name()).isNull();
                } else {
                    assertThat(reply.enhanced()).as(name.name()).matches("[245]\\.\\d{1,3}\\.\\d{1,3}");
                    assertThat(reply.wire()).as(name.name()).startsWith(reply.code() + " " + reply.enhanced() + " ");
                }
            }
        }));
        rows.add(row("ESC-2 ESC class equals the first digit").when(EHLO, "250 ").check(h -> {
            for (ReplyName name : ReplyName.values()) {
                Reply reply = template(name);
                if (reply.enhanced() != null) {
                    assertThat(reply.enhanced().charAt(0)).as(name.name())
                            .isEqualTo(String.valueOf(reply.code()).charAt(0));
                }
            }
        }));
        rows.add(row("ESC-3 registered meanings").when(EHLO, "250 ").check(h -> {
            Map<ReplyName, String> meanings = Map.ofEntries(
                    Map.entry(ReplyName.USER_UNKNOWN, "5.1.1"),
                    Map.entry(ReplyName.BAD_RECIPIENT_SYNTAX, "5.1.3"),
                    Map.entry(ReplyName.BAD_SENDER_SYNTAX, "5.1.7"),
                    Map.entry(ReplyName.MESSAGE_TOO_BIG, "5.3.4"),
                    Map.entry(ReplyName.NOT_IMPLEMENTED, "5.5.1"),
                    Map.entry(ReplyName.BAD_SEQUENCE, "5.5.1"),
                    Map.entry(ReplyName.UNRECOGNIZED_COMMAND, "5.5.2"),
                    Map.entry(ReplyName.TOO_MANY_RECIPIENTS, "4.5.3"),
                    Map.entry(ReplyName.SYNTAX_ERROR_IN_ARGUMENTS, "5.5.4"),
                    Map.entry(ReplyName.RELAY_DENIED, "5.7.1"),
                    Map.entry(ReplyName.TOO_MANY_CONNECTIONS, "4.7.0"));
            meanings.forEach((name, esc) -> assertThat(template(name).enhanced()).as(name.name()).isEqualTo(esc));
        }));
        rows.add(row("ESC-4 X.5.6, X.7.8/9/11, X.6.7, X.7.10 only where registered").when(EHLO, "250 ").check(h -> {
            for (ReplyName name : ReplyName.values()) {
                String esc = template(name).enhanced();
                if (esc == null) {
                    continue;
                }
                String detail = esc.substring(2);
                if (detail.equals("5.6")) {
                    assertThat(name).isEqualTo(ReplyName.AUTH_LINE_TOO_LONG);
                }
                if (detail.equals("7.8") || detail.equals("7.9") || detail.equals("7.11")) {
                    assertThat(name.name()).startsWith("AUTH_");
                }
                if (detail.equals("6.7")) {
                    assertThat(name).isEqualTo(ReplyName.SMTPUTF8_REQUIRED);
                }
                assertThat(detail).as(name.name()).isNotEqualTo("7.10");
            }
        }));
        rows.add(row("ESC-5 ENHANCEDSTATUSCODES advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("ENHANCEDSTATUSCODES")));
    }

    // §1 Lines, case and sizes.

    static void section1(List<Row> rows) {
        rows.add(row("L-1 NOOP<LF>NOOP is one malformed line").given(EHLO)
                .when("@BARE_LF NOOP\nNOOP", "500 5.5.2").then("NOOP", "250 2.0.0")
                .check(h -> assertThat(h.actions).hasSize(3)));
        rows.add(row("L-1 bare CR is one malformed line").given(EHLO)
                .when("@BARE_CR NOOP\rNOOP", "500 5.5.2").then("NOOP", "250 2.0.0"));
        rows.add(row("L-1 bare LF inside MAIL never starts a transaction").given(EHLO)
                .when("@BARE_LF MAIL FROM:<a@example.org>\nRCPT TO:<postmaster@posthorn.test>", "500 5.5.2")
                .then(RCPT, "503 5.5.1"));
        rows.add(row("L-2 verbs are case-insensitive").when("nOoP", "250 2.0.0"));
        rows.add(row("L-2 FROM: and TO: are case-insensitive").given("ehlo client.example")
                .when("mail from:<sender@example.org>", "250 2.1.0").then("rcpt to:<postmaster@posthorn.test>", "250 2.1.5"));
        rows.add(row("L-2 parameter keywords are case-insensitive").given(EHLO)
                .when("MAIL FROM:<sender@example.org> size=100 body=8bitmime ret=hdrs", "250 2.1.0"));
        rows.add(row("L-2 postmaster is case-insensitive").given(EHLO, MAIL)
                .when("RCPT TO:<PostMaster@posthorn.test>", "250 2.1.5"));
        rows.add(row("L-2 domains are case-insensitive").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@PostHorn.TEST>", "250 2.1.5"));
        rows.add(row("L-2 local parts keep their case").given(EHLO)
                .when("MAIL FROM:<Alice.Smith@Example.org>", "250 2.1.0")
                .check(h -> assertThat(h.protocol.transaction().sender().localPart()).isEqualTo("Alice.Smith")));
        rows.add(row("L-3 trailing white space tolerated").given(EHLO + "  ")
                .when("MAIL FROM:<sender@example.org> \t ", "250 2.1.0").then("RSET  ", "250 2.0.0")
                .then("NOOP \t", "250 2.0.0"));
        String noop512 = "NOOP " + "x".repeat(512 - 2 - 5);
        rows.add(row("L-4 512-octet command line accepted (NOOP)").given(EHLO).when(noop512, "250 2.0.0")
                .check(h -> assertThat(noop512.length() + 2).isEqualTo(512)));
        rows.add(row("L-4 MAIL line with a 256-octet path and every parameter accepted").given(EHLO)
                .when("MAIL FROM:" + path(256) + " SIZE=00000000000000001000 BODY=8BITMIME RET=HDRS SMTPUTF8 ENVID="
                        + "e".repeat(100), "250 2.1.0"));
        String rcpt512 = rcpt512();
        rows.add(row("L-4 512-octet RCPT line accepted").given(EHLO, MAIL).when(rcpt512, "250 2.1.5")
                .check(h -> assertThat(rcpt512.length() + 2).isEqualTo(512)));
        rows.add(row("L-5 over-long line: 500 5.5.2 Line too long, never executed").given(EHLO)
                .when("@TOO_LONG MAIL FROM:<sender@example.org>", "500 5.5.2 Line too long")
                .then(RCPT, "503 5.5.1"));
        rows.add(row("L-6 message lines are not limited by the protocol").given(READY)
                .when("DATA", "DATA:354").then("@DATA_END size=2000", "COMMIT"));
        rows.add(row("L-7 local-part of 64 octets accepted").given(EHLO)
                .when("MAIL FROM:<" + "l".repeat(64) + "@example.org>", "250 2.1.0"));
        rows.add(row("L-7 local-part of 65 octets: 501 5.5.4 Path too long").given(EHLO)
                .when("MAIL FROM:<" + "l".repeat(65) + "@example.org>", "501 5.5.4 Path too long"));
        rows.add(row("L-7 path of 256 octets accepted").given(EHLO).when("MAIL FROM:" + path(256), "250 2.1.0"));
        rows.add(row("L-7 path of 257 octets: 501 5.5.4 Path too long").given(EHLO)
                .when("MAIL FROM:" + path(257), "501 5.5.4 Path too long"));
        rows.add(row("L-7 domain of 255 octets accepted").when("EHLO " + domain(255), "250 "));
        rows.add(row("L-7 64 KiB of content accepted").given(READY).when("DATA", "DATA:354")
                .then("@DATA_END size=65536", "COMMIT"));
        rows.add(row("L-7 reply lines within 512 octets").when(EHLO, "250 ").check(h -> {
            for (ReplyName name : ReplyName.values()) {
                // Room for the longest argument a reply quotes: a 256-octet path (or a 255-octet host name).
                for (String line : template(name).wire().split("\r\n")) {
                    assertThat(line.length() + 2 + 256).as(name.name()).isLessThanOrEqualTo(512);
                }
            }
        }));
        rows.add(row("L-7 100 recipients per transaction").given(EHLO, MAIL).given(recipients(99))
                .when(RCPT, "250 2.1.5"));
        rows.add(row("L-8 one reply per command, multi-line repeats the code").when(EHLO, "250 ").check(h -> {
            assertThat(h.actions).hasSize(1);
            String[] lines = ProtocolHarness.replyOf(h.actions.get(0)).wire().split("\r\n");
            for (int i = 0; i < lines.length; i++) {
                assertThat(lines[i]).startsWith(i == lines.length - 1 ? "250 " : "250-");
            }
        }));
        rows.add(row("L-9 non-UTF-8 octets in a command: 500 5.5.2").given(EHLO)
                .when("@LATIN1 MAIL FROM:<caf\u00e9@example.org>", "500 5.5.2"));
        rows.add(row("L-9 non-ASCII outside MAIL/RCPT: 500 5.5.2").given(EHLO)
                .when("VRFY caf\u00e9", "500 5.5.2"));
        rows.add(row("L-9 non-ASCII address without SMTPUTF8: 553 5.6.7").given(EHLO)
                .when("MAIL FROM:<caf\u00e9@example.org>", "553 5.6.7"));
        rows.add(row("L-9 NUL in a command: 500 5.5.2").given(EHLO).when("NOOP \0", "500 5.5.2"));
    }

    /** A RCPT line of exactly 510 octets (512 with CRLF), padded with the ORCPT parameter (at most 500). */
    static String rcpt512() {
        String head = "RCPT TO:<postmaster@posthorn.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;";
        return head + "o".repeat(510 - head.length());
    }

    /** {@code <local@domain>} of exactly {@code octets} octets, with a 64-octet local part. */
    static String path(int octets) {
        return "<" + "l".repeat(64) + "@" + domain(octets - 64 - 3) + ">";
    }

    /** A syntactically valid domain of exactly {@code octets} octets, labels of at most 63. */
    static String domain(int octets) {
        StringBuilder d = new StringBuilder();
        while (d.length() < octets) {
            int left = octets - d.length() - (d.isEmpty() ? 0 : 1);
            if (!d.isEmpty()) {
                d.append('.');
            }
            int label = Math.min(63, left);
            if (left - label == 1) {
                label--;
            }
            d.append("d".repeat(label));
        }
        return d.toString();
    }

    /** RCPT lines for postmaster, in the accepted spellings (distinct and repeated). */
    static String[] recipients(int count) {
        String[] forms = {"RCPT TO:<postmaster@posthorn.test>", "RCPT TO:<postmaster@localhost>",
            "RCPT TO:<Postmaster>", "RCPT TO:<POSTMASTER@POSTHORN.TEST>"};
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            lines[i] = forms[i % forms.length];
        }
        return lines;
    }

    // §2 Connection opening and closing (the protocol's part; the rest is on the wire).

    static void section2(List<Row> rows) {
        rows.add(row("G-1 greeting: 220 FQDN first, no ESC").when("@GREETING", "220 " + ProtocolHarness.HOSTNAME + " ESMTP")
                .check(h -> assertThat(ProtocolHarness.replyOf(h.actions.get(0)).enhanced()).isNull()));
        rows.add(row("G-3 unknown commands never close").given(EHLO).when("FOO", "500 5.5.2").then("BAR", "500 5.5.2")
                .then("X Y Z", "500 5.5.2").then("NOOP", "250 2.0.0"));
        rows.add(row("G-4 shutdown reply is 421 4.3.2 with the host name").when(EHLO, "250 ")
                .check(h -> assertThat(ReplyName.SHUTTING_DOWN.reply(ProtocolHarness.HOSTNAME).summary())
                        .isEqualTo("421 4.3.2 mx.posthorn.test Service shutting down, closing transmission channel")));
        rows.add(row("G-5 QUIT inside a transaction closes; nothing is committed").given(READY)
                .when("QUIT", "CLOSE:221 2.0.0")
                .check(h -> assertThat(h.actions).noneMatch(a -> a instanceof Action.Commit)));
        rows.add(row("G-6 admission refusal is 421 4.7.0").when(EHLO, "250 ")
                .check(h -> assertThat(ReplyName.TOO_MANY_CONNECTIONS_FROM_ADDRESS.reply(ProtocolHarness.HOSTNAME)
                        .summary()).startsWith("421 4.7.0 mx.posthorn.test ")));
    }

    // §3 EHLO / HELO.

    static void section3(List<Row> rows) {
        rows.add(row("E-1 EHLO").when(EHLO, "250 " + ProtocolHarness.HOSTNAME));
        rows.add(row("E-1 HELO").when(HELO, "250 " + ProtocolHarness.HOSTNAME));
        rows.add(row("E-2 EHLO reply: domain first, then keyword lines").when(EHLO, "250 ").check(h -> {
            List<String> lines = h.lastLines();
            assertThat(lines.get(0)).startsWith(ProtocolHarness.HOSTNAME);
            assertThat(lines.subList(1, lines.size())).isNotEmpty()
                    .allMatch(l -> l.matches("[A-Za-z0-9][A-Za-z0-9-]*( [\\x21-\\x7e]+)*"));
        }));
        rows.add(row("E-3 HELO reply is a single line").when(HELO, "250 ")
                .check(h -> assertThat(h.lastLines()).hasSize(1)));
        rows.add(row("E-4 EHLO without argument: 501 5.5.4").when("EHLO", "501 5.5.4 Syntax: EHLO hostname"));
        rows.add(row("E-4 HELO without argument: 501 5.5.4").when("HELO", "501 5.5.4 Syntax: HELO hostname"));
        rows.add(row("E-4 EHLO with a bad name: 501 5.5.4").when("EHLO bad_name.example", "501 5.5.4"));
        rows.add(row("E-4 refused EHLO leaves the state as it was").given(READY).when("EHLO", "501 5.5.4")
                .then("RCPT TO:<postmaster@localhost>", "250 2.1.5").then("DATA", "DATA:354"));
        rows.add(row("E-4 refused EHLO before any EHLO: MAIL still 503").when("EHLO", "501 5.5.4")
                .then(MAIL, "503 5.5.1"));
        rows.add(row("E-5 EHLO [192.0.2.1]").when("EHLO [192.0.2.1]", "250 "));
        rows.add(row("E-5 EHLO [IPv6:2001:db8::1]").when("EHLO [IPv6:2001:db8::1]", "250 "));
        rows.add(row("E-5 malformed IPv6 literal refused (never resolved)").when("EHLO [IPv6:.:]", "501 5.5.4"));
        rows.add(row("E-6 EHLO name is not checked against anything").when("EHLO not-this-host.example", "250 ")
                .then(MAIL, "250 2.1.0").then(RCPT, "250 2.1.5"));
        rows.add(row("E-7 repeated EHLO resets the transaction").given(READY).when(EHLO, "250 ")
                .then(RCPT, "503 5.5.1").then("DATA", "503 5.5.1"));
        rows.add(row("E-7 HELO after EHLO resets too").given(READY).when(HELO, "250 ").then(RCPT, "503 5.5.1"));
        rows.add(row("E-8 no capability that would answer 500/502, no AUTH, no EXPN").when(EHLO, "250 ").check(h -> {
            List<String> lines = h.lastLines();
            assertThat(lines).noneMatch(l -> l.startsWith("EXPN") || l.startsWith("AUTH") || l.startsWith("STARTTLS"));
            for (String keyword : List.of("PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "CHUNKING")) {
                assertThat(lines).contains(keyword);
            }
        }));
        rows.add(row("E-9 MX keywords").when(EHLO, "250 ").check(h -> assertThat(h.lastLines().subList(1, h.lastLines()
                .size())).containsExactlyInAnyOrder("PIPELINING", "SIZE " + ProtocolHarness.MAX_SIZE, "8BITMIME",
                "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "LIMITS RCPTMAX=100")));
        rows.add(row("E-9 STARTTLS advertised on MX when TLS is available").tls().when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("STARTTLS").noneMatch(l -> l.startsWith("AUTH"))));
        rows.add(row("E-10 MAIL before EHLO: 503 5.5.1").when(MAIL, "503 5.5.1 Error: send HELO/EHLO first"));
        rows.add(row("E-10 NOOP before EHLO").when("NOOP", "250 2.0.0"));
        rows.add(row("E-10 RSET before EHLO").when("RSET", "250 2.0.0"));
        rows.add(row("E-10 VRFY before EHLO").when("VRFY postmaster", "252 2.5.0"));
        rows.add(row("E-10 HELP before EHLO").when("HELP", "214 2.0.0"));
        rows.add(row("E-10 EXPN before EHLO answers as after it").when("EXPN staff", "502 5.5.1"));
    }

    // §4 matrix, MX column (TLS/AUTH rows of sections 10/11 are the submission work).

    static void section4(List<Row> rows) {
        rows.add(row("MX no AUTH: AUTH refused 503 5.5.1").given(EHLO).when("AUTH PLAIN AGFsaWNlAHNlY3JldA==", "503 5.5.1"));
        rows.add(row("MX no AUTH: AUTH= parameter not advertised, 555 5.5.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> AUTH=<>", "555 5.5.4 Unsupported option: AUTH=<>"));
        rows.add(row("MX TLS never required (T-5)").tls().given(EHLO).when(MAIL, "250 2.1.0").then(RCPT, "250 2.1.5")
                .then("DATA", "DATA:354"));
        rows.add(row("MX relay refused unauthenticated: 550 5.7.1").given(EHLO, MAIL)
                .when("RCPT TO:<someone@remote.example>", "550 5.7.1 <someone@remote.example>: Relaying denied"));
        rows.add(row("MX ETRN is not offered: 502 5.5.1").given(EHLO).when("ETRN posthorn.test", "502 5.5.1"));
    }

    // §5 Generic errors and command sequencing.

    static void section5(List<Row> rows) {
        rows.add(row("S-1 unrecognised command").given(EHLO).when("FROB", "500 5.5.2 Syntax error, command unrecognized"));
        rows.add(row("S-1 empty line").given(EHLO).when("", "500 5.5.2"));
        for (String verb : List.of("TURN", "SEND FROM:<a@example.org>", "SOML FROM:<a@example.org>",
                "SAML FROM:<a@example.org>", "EXPN staff")) {
            rows.add(row("S-2 not implemented: " + verb.split(" ")[0]).given(EHLO)
                    .when(verb, "502 5.5.1 Command not implemented"));
        }
        rows.add(row("S-3 RCPT without MAIL").given(EHLO).when(RCPT, "503 5.5.1 Bad sequence of commands"));
        rows.add(row("S-3 nested MAIL").given(EHLO, MAIL).when(MAIL, "503 5.5.1 Bad sequence of commands")
                .then(RCPT, "250 2.1.5"));
        rows.add(row("S-3 DATA without MAIL").given(EHLO).when("DATA", "503 5.5.1 Bad sequence of commands"));
        rows.add(row("S-3 DATA after BDAT").given(READY).given("BDAT 10", "@CHUNK_END")
                .when("DATA", "503 5.5.1 Bad sequence of commands"));
        rows.add(row("S-3 AUTH during a transaction").given(EHLO, MAIL).when("AUTH PLAIN", "503 5.5.1")
                .then(RCPT, "250 2.1.5"));
        rows.add(row("S-4 MAIL argument syntax: 501 5.5.4").given(EHLO).when("MAIL TO:<a@example.org>", "501 5.5.4"));
        rows.add(row("S-4 MAIL without argument: 501 5.5.4").given(EHLO).when("MAIL", "501 5.5.4"));
        rows.add(row("S-4 bad sender address: 501 5.1.7").given(EHLO)
                .when("MAIL FROM:<sender@example.org", "501 5.1.7 Bad sender address syntax").then(RCPT, "503 5.5.1"));
        rows.add(row("S-4 bad recipient address: 501 5.1.3").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test", "501 5.1.3 Bad recipient address syntax")
                .then(RCPT, "250 2.1.5"));
        rows.add(row("S-4 invalid IPv4 literal: 501 5.1.7").given(EHLO)
                .when("MAIL FROM:<u@[300.1.1.1]>", "501 5.1.7"));
        rows.add(row("S-4 junk after the path: 501 5.1.3").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test>junk", "501 5.1.3").then(RCPT, "250 2.1.5"));
        rows.add(row("S-4 RCPT without argument: 501 5.5.4").given(EHLO, MAIL).when("RCPT", "501 5.5.4"));
        rows.add(row("S-4 null reverse path as recipient: 501 5.1.3").given(EHLO, MAIL)
                .when("RCPT TO:<>", "501 5.1.3"));
        rows.add(row("S-5 DATA with an argument").given(READY).when("DATA now", "501 5.5.4 Syntax: DATA")
                .then("DATA", "DATA:354"));
        rows.add(row("S-5 RSET with an argument").given(READY).when("RSET all", "501 5.5.4 Syntax: RSET")
                .then("DATA", "DATA:354"));
        rows.add(row("S-5 QUIT with an argument").given(EHLO).when("QUIT now", "501 5.5.4 Syntax: QUIT")
                .then("NOOP", "250 2.0.0"));
        rows.add(row("S-6 underscore in sender domain: 501 5.1.7").given(EHLO)
                .when("MAIL FROM:<a@ex_ample.org>", "501 5.1.7"));
        rows.add(row("S-6 underscore in recipient domain: 501 5.1.3").given(EHLO, MAIL)
                .when("RCPT TO:<a@ex_ample.org>", "501 5.1.3"));
        rows.add(row("S-6 underscore in EHLO domain: 501 5.5.4").when("EHLO ex_ample.org", "501 5.5.4"));
        rows.add(row("S-7 unknown HELP topic: 504 5.5.4").when("HELP FROBNICATE", "504 5.5.4"));
        rows.add(row("S-8 unknown MAIL parameter: 555 5.5.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> XFOO=1", "555 5.5.4 Unsupported option: XFOO=1"));
        rows.add(row("S-8 unknown RCPT parameter: 555 5.5.4").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test> XFOO=1", "555 5.5.4 Unsupported option: XFOO=1"));
        rows.add(row("S-8 a long unknown parameter is quoted within a 512-octet reply line").given(EHLO)
                .when("MAIL FROM:<sender@example.org> XFOO=" + "x".repeat(3000), "555 5.5.4 Unsupported option: XFOO=")
                .check(h -> assertThat(ProtocolHarness.replyOf(h.actions.get(1)).wire().length())
                        .isLessThanOrEqualTo(512)));
        rows.add(row("S-8 parameter of an extension not advertised (after HELO)").given(HELO)
                .when("MAIL FROM:<sender@example.org> SIZE=100", "555 5.5.4"));
        rows.add(row("S-8 RCPT parameter after HELO").given(HELO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test> NOTIFY=NEVER", "555 5.5.4"));
        rows.add(row("S-10 state unchanged after 5yz RCPT").given(READY)
                .when("RCPT TO:<nobody@posthorn.test>", "550 5.1.1").then("DATA", "DATA:354")
                .check(h -> assertThat(h.protocol.transaction().recipients()).hasSize(1)));
        rows.add(row("S-10 state unchanged after 5yz MAIL").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SIZE=99999999999", "552 5.3.4").then(RCPT, "503 5.5.1")
                .then(MAIL, "250 2.1.0"));
        rows.add(row("S-10 state unchanged after 4yz RCPT").given(EHLO, MAIL).given(recipients(100))
                .when(RCPT, "452 4.5.3").then("DATA", "DATA:354"));
        rows.add(row("S-11 errors are counted until mail is delivered, then afresh").maxErrors(3).given(EHLO)
                .given("!FOO", "!FOO", "!FOO").given(READY[1], READY[2], "DATA", "@DATA_END", "@COMMIT")
                .when("FOO", "500 5.5.2").then("FOO", "500 5.5.2").then("FOO", "500 5.5.2")
                .then("FOO", "CLOSE:421 4.7.0"));
        rows.add(row("S-11 too many errors: 421 4.7.0 and close").maxErrors(3).given(EHLO)
                .given("!FOO", "!FOO", "!FOO").when("FOO", "CLOSE:421 4.7.0 mx.posthorn.test Error: too many errors"));
    }

    // §6 MAIL and RCPT.

    static void section6(List<Row> rows) {
        rows.add(row("M-1 MAIL accepted: 250 2.1.0").given(EHLO).when(MAIL, "250 2.1.0 Sender OK"));
        rows.add(row("M-1 no space after the colon").given(EHLO).when("MAIL FROM: <sender@example.org>", "501 5.1.7"));
        rows.add(row("M-2 null reverse path").given(EHLO).when("MAIL FROM:<>", "250 2.1.0")
                .check(h -> assertThat(h.protocol.transaction().sender()).isNull()));
        rows.add(row("M-3 source route in MAIL is ignored").given(EHLO)
                .when("MAIL FROM:<@a.example,@b.example:user@example.org>", "250 2.1.0")
                .check(h -> assertThat(h.protocol.transaction().sender().address()).isEqualTo("user@example.org")));
        rows.add(row("M-3 source route in RCPT is ignored").given(EHLO, MAIL)
                .when("RCPT TO:<@relay.example:postmaster@posthorn.test>", "250 2.1.5")
                .check(h -> assertThat(h.protocol.transaction().recipients().get(0).mailbox().address())
                        .isEqualTo("postmaster@posthorn.test")));
        rows.add(row("M-4 quoted local part in MAIL").given(EHLO)
                .when("MAIL FROM:<\"probe user\"@example.org>", "250 2.1.0"));
        rows.add(row("M-4 quoted postmaster is postmaster").given(EHLO, MAIL)
                .when("RCPT TO:<\"postmaster\"@posthorn.test>", "250 2.1.5"));
        rows.add(row("M-4 quoted-pair form of postmaster is postmaster").given(EHLO, MAIL)
                .when("RCPT TO:<\"post\\master\"@posthorn.test>", "250 2.1.5")
                .check(h -> assertThat(h.protocol.transaction().recipients().get(0).mailbox().localPart())
                        .isEqualTo("postmaster")));
        rows.add(row("M-4 quoted unknown user: 550 5.1.1").given(EHLO, MAIL)
                .when("RCPT TO:<\"probe user\"@posthorn.test>", "550 5.1.1"));
        rows.add(row("M-5 IPv4 address literal").given(EHLO).when("MAIL FROM:<u@[192.0.2.1]>", "250 2.1.0"));
        rows.add(row("M-5 IPv6 address literal").given(EHLO).when("MAIL FROM:<u@[IPv6:2001:db8::1]>", "250 2.1.0"));
        rows.add(row("M-5 malformed IPv6 literal: 501 5.1.7 (never resolved)").given(EHLO)
                .when("MAIL FROM:<u@[IPv6:.1::2]>", "501 5.1.7"));
        rows.add(row("M-5 address literal recipient parses (then relay policy)").given(EHLO, MAIL)
                .when("RCPT TO:<u@[192.0.2.1]>", "550 5.7.1"));
        rows.add(row("M-6 missing angle brackets in MAIL: 501 5.1.7").given(EHLO)
                .when("MAIL FROM:sender@example.org", "501 5.1.7 Bad sender address syntax"));
        rows.add(row("M-6 missing angle brackets in RCPT: 501 5.1.3").given(EHLO, MAIL)
                .when("RCPT TO:postmaster@posthorn.test", "501 5.1.3"));
        rows.add(row("M-7 <Postmaster>").given(EHLO, MAIL).when("RCPT TO:<Postmaster>", "250 2.1.5")
                .check(h -> assertThat(h.protocol.transaction().recipients().get(0).mailbox().address())
                        .isEqualTo("postmaster@localhost")));
        rows.add(row("M-7 <Postmaster> and postmaster@primary are one recipient").given(EHLO, MAIL)
                .given("RCPT TO:<Postmaster>").when("RCPT TO:<postmaster@LOCALHOST>", "250 2.1.5")
                .check(h -> assertThat(h.protocol.transaction().recipients()).hasSize(1)));
        rows.add(row("M-7 <postmaster> lower case").given(EHLO, MAIL).when("RCPT TO:<postmaster>", "250 2.1.5"));
        rows.add(row("M-7 postmaster@localhost").given(EHLO, MAIL).when("RCPT TO:<POSTMASTER@localhost>", "250 2.1.5"));
        rows.add(row("M-7 postmaster@posthorn.test").given(EHLO, MAIL).when(RCPT, "250 2.1.5"));
        rows.add(row("M-8 unknown local recipient: 550 5.1.1").given(EHLO, MAIL)
                .when("RCPT TO:<nobody@posthorn.test>", "550 5.1.1 <nobody@posthorn.test>:"));
        rows.add(row("M-9 relay refused: 550 5.7.1").given(EHLO, MAIL)
                .when("RCPT TO:<u@remote.example>", "550 5.7.1 <u@remote.example>: Relaying denied"));
        rows.add(row("M-10 100 RCPT commands accepted").given(EHLO, MAIL).given(recipients(99))
                .when("RCPT TO:<postmaster@localhost>", "250 2.1.5"));
        rows.add(row("M-11 101st RCPT: 452 4.5.3, the first 100 stay").given(EHLO, MAIL).given(recipients(100))
                .when("RCPT TO:<postmaster@localhost>", "452 4.5.3 Too many recipients")
                .then(RCPT, "452 4.5.3").then("DATA", "DATA:354").check(h -> assertThat(h.protocol.transaction()
                        .recipients()).extracting(r -> r.mailbox().address()).contains("postmaster@posthorn.test",
                        "postmaster@localhost")));
        rows.add(row("M-11 RCPTMAX advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("LIMITS RCPTMAX=100")));
        rows.add(row("M-12 no 251/551 forwarding replies: VRFY gives 252").given(EHLO)
                .when("VRFY postmaster@posthorn.test", "252 2.5.0"));
        rows.add(row("M-13 MAIL after a finished transaction starts empty").given(READY)
                .given("DATA", "@DATA_END", "@COMMIT").when(MAIL, "250 2.1.0").then("DATA", "554 5.5.1"));
        rows.add(row("M-13 MAIL after RSET starts empty").given(READY).given("RSET").when(MAIL, "250 2.1.0")
                .then("DATA", "554 5.5.1"));
    }

    // §7 DATA, content and trace fields (the protocol's part).

    static void section7(List<Row> rows) {
        rows.add(row("D-1 DATA without MAIL: 503 5.5.1").given(EHLO).when("DATA", "503 5.5.1"));
        rows.add(row("D-1 DATA without recipients: 554 5.5.1").given(EHLO, MAIL)
                .when("DATA", "554 5.5.1 No valid recipients"));
        rows.add(row("D-1 DATA after only refused recipients: 554 5.5.1").given(EHLO, MAIL)
                .given("!RCPT TO:<nobody@posthorn.test>").when("DATA", "554 5.5.1"));
        rows.add(row("D-2 DATA accepted: 354 without ESC").given(READY)
                .when("DATA", "DATA:354 End data with <CR><LF>.<CR><LF>")
                .check(h -> assertThat(ProtocolHarness.replyOf(h.actions.get(3)).enhanced()).isNull()));
        rows.add(row("D-5 end of data: one 250 2.0.0 with the queue id").given(READY).given("DATA")
                .when("@DATA_END", "COMMIT").then("@COMMIT", "250 2.0.0 Ok: queued as " + ProtocolHarness.QUEUE_ID)
                .then(RCPT, "503 5.5.1"));
        rows.add(row("D-6 spool failure: 451 4.3.0 and the transaction is gone").given(READY).given("DATA", "@DATA_END")
                .when("@COMMIT_FAILED", "451 4.3.0 Local error in processing").then("DATA", "503 5.5.1"));
        rows.add(row("D-8 Received: with ESMTP after EHLO").given(READY).when("DATA", "DATA:354")
                .check(h -> assertThat(h.protocol.withProtocol(false)).isEqualTo("ESMTP")));
        rows.add(row("D-8 Received: with SMTP after HELO").given(HELO, MAIL, RCPT).when("DATA", "DATA:354")
                .check(h -> assertThat(h.protocol.withProtocol(false)).isEqualTo("SMTP")));
        rows.add(row("D-10 101 Received: fields: 554 5.4.0").given(READY).given("DATA")
                .when("@DATA_END hops=101", "554 5.4.0 Too many hops").then(RCPT, "503 5.5.1"));
        rows.add(row("D-10 100 Received: fields accepted").given(READY).given("DATA")
                .when("@DATA_END hops=100", "COMMIT"));
        rows.add(row("D-11 header contents are not a reason to refuse on MX").given(READY).given("DATA")
                .when("@DATA_END from=someone@elsewhere.example hops=50", "COMMIT"));
    }

    // §8 and §9, the protocol's part: bare CR/LF verdicts and group-ending commands.

    static void section8and9(List<Row> rows) {
        rows.add(row("B-3 bare LF never ends a command line").given(EHLO, MAIL)
                .when("@BARE_LF RCPT TO:<postmaster@posthorn.test>\nDATA", "500 5.5.2").then("DATA", "554 5.5.1"));
        rows.add(row("B-4 bare LF in a command: 500 5.5.2").given(EHLO)
                .when("@BARE_LF NOOP\nNOOP", "500 5.5.2 Syntax error: bare <LF> received"));
        rows.add(row("B-4 bare LF in DATA: 550 5.5.2 and the session continues").given(READY).given("DATA")
                .when("@DATA_END bareLf", "550 5.5.2 Error: bare <LF> received").then("NOOP", "250 2.0.0")
                .then(RCPT, "503 5.5.1"));
        rows.add(row("B-4 bare CR in DATA: 550 5.5.2 and the session continues").given(READY).given("DATA")
                .when("@DATA_END bareCr", "550 5.5.2 Error: bare <CR> received").then("NOOP", "250 2.0.0"));
        rows.add(row("B-6 DATA ends a group").given(READY).when("DATA", "DATA:354")
                .check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isTrue()));
        rows.add(row("B-6 EHLO ends a group").when(EHLO, "250 ")
                .check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isTrue()));
        rows.add(row("P-1 MAIL, RCPT and RSET may be pipelined").given(EHLO).when(MAIL, "250 2.1.0")
                .check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isFalse())
                .then(RCPT, "250 2.1.5").check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isFalse())
                .then("RSET", "250 2.0.0").check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isFalse()));
        rows.add(row("P-1 BDAT may be pipelined").given(READY).when("BDAT 3", "CHUNK:3")
                .check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isFalse()));
        rows.add(row("P-2 one reply per pipelined command, in order").given(EHLO).when(MAIL, "250 2.1.0")
                .then(RCPT, "250 2.1.5").then("RCPT TO:<nobody@posthorn.test>", "550 5.1.1")
                .then("RCPT TO:<postmaster@localhost>", "250 2.1.5").check(h -> assertThat(h.actions).hasSize(5)));
        rows.add(row("P-4 STARTTLS ends a group (the session refuses what follows)").tls().given(EHLO)
                .when("STARTTLS", "STARTTLS:220 2.0.0 Ready to start TLS")
                .check(h -> assertThat(h.protocol.lastCommandEndsGroup()).isTrue()));
        rows.add(row("P-5 PIPELINING advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("PIPELINING")));
    }

    // §12 Extensions.

    static void section12(List<Row> rows) {
        long max = ProtocolHarness.MAX_SIZE;
        rows.add(row("Z-1 SIZE advertised with the fixed maximum").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("SIZE " + max)));
        rows.add(row("Z-2 SIZE over the maximum: 552 5.3.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SIZE=" + (max + 1),
                        "552 5.3.4 Message size exceeds fixed maximum message size"));
        rows.add(row("Z-2 SIZE at the maximum accepted").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SIZE=" + max, "250 2.1.0"));
        rows.add(row("Z-2 SIZE of 20 digits: 552 5.3.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SIZE=99999999999999999999", "552 5.3.4"));
        for (String bad : List.of("SIZE=abc", "SIZE", "SIZE=1 SIZE=1", "SIZE=123456789012345678901", "SIZE=-1",
                "SIZE=")) {
            rows.add(row("Z-4 malformed or repeated: " + bad).given(EHLO)
                    .when("MAIL FROM:<sender@example.org> " + bad, "501 5.5.4"));
        }
        rows.add(row("Z-4 text: Bad message size syntax").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SIZE=12x", "501 5.5.4 Bad message size syntax"));
        rows.add(row("Z-5 SIZE never frames the data").given(EHLO).given("MAIL FROM:<sender@example.org> SIZE=10", RCPT)
                .when("DATA", "DATA:354").then("@DATA_END size=5000", "COMMIT"));
        rows.add(row("Z-6 content over the limit: one 552 5.3.4 at the end").given(READY).given("DATA")
                .when("@DATA_END tooBig size=" + (max + 1), "552 5.3.4 Message size exceeds fixed maximum message size")
                .then("NOOP", "250 2.0.0").then(RCPT, "503 5.5.1"));
        rows.add(row("X-8BIT-1 8BITMIME advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("8BITMIME")));
        rows.add(row("X-8BIT-1 BODY=7BIT").given(EHLO).when("MAIL FROM:<sender@example.org> BODY=7BIT", "250 2.1.0"));
        rows.add(row("X-8BIT-1 BODY=8BITMIME").given(EHLO)
                .when("MAIL FROM:<sender@example.org> BODY=8BITMIME", "250 2.1.0"));
        rows.add(row("X-8BIT-2 BODY=BINARYMIME not advertised: 501 5.5.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> BODY=BINARYMIME", "501 5.5.4 Invalid BODY value"));
        rows.add(row("X-8BIT-2 BODY without value: 501 5.5.4").given(EHLO)
                .when("MAIL FROM:<sender@example.org> BODY", "501 5.5.4"));
        rows.add(row("X-SMTPUTF8-1 SMTPUTF8 and 8BITMIME advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("SMTPUTF8", "8BITMIME")));
        rows.add(row("X-SMTPUTF8-1 MAIL SMTPUTF8 allows UTF-8 addresses").given(EHLO)
                .when("MAIL FROM:<j\u00f6rg@m\u00fcnchen.example> SMTPUTF8", "250 2.1.0")
                .then("RCPT TO:<postmaster@posthorn.test>", "250 2.1.5")
                .then("RCPT TO:<\u00fc@posthorn.test>", "550 5.1.1"));
        rows.add(row("X-SMTPUTF8-1 SMTPUTF8 takes no value").given(EHLO)
                .when("MAIL FROM:<sender@example.org> SMTPUTF8=yes", "501 5.5.4"));
        rows.add(row("X-SMTPUTF8-2 UTF-8 sender without SMTPUTF8: 553 5.6.7").given(EHLO)
                .when("MAIL FROM:<j\u00f6rg@example.org>", "553 5.6.7"));
        rows.add(row("X-SMTPUTF8-2 UTF-8 recipient without SMTPUTF8: 553 5.6.7").given(EHLO, MAIL)
                .when("RCPT TO:<\u00fc@posthorn.test>", "553 5.6.7"));
        rows.add(row("X-SMTPUTF8-3 Received: with UTF8SMTP").given(EHLO)
                .given("MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8", RCPT).when("DATA", "DATA:354")
                .check(h -> assertThat(h.protocol.withProtocol(h.protocol.transaction().params().smtputf8()))
                        .isEqualTo("UTF8SMTP")));
        rows.add(row("X-DSN-1 DSN advertised").when(EHLO, "250 ").check(h -> assertThat(h.lastLines()).contains("DSN")));
        rows.add(row("X-DSN-1 RET=FULL ENVID").given(EHLO)
                .when("MAIL FROM:<sender@example.org> RET=FULL ENVID=QQ314159+2Bx", "250 2.1.0")
                .check(h -> assertThat(h.protocol.transaction().params().envid()).isEqualTo("QQ314159+2Bx")));
        rows.add(row("X-DSN-1 RET=HDRS").given(EHLO).when("MAIL FROM:<sender@example.org> RET=hdrs", "250 2.1.0"));
        rows.add(row("X-DSN-1 ENVID of 100 characters").given(EHLO)
                .when("MAIL FROM:<sender@example.org> ENVID=" + "e".repeat(100), "250 2.1.0"));
        rows.add(row("X-DSN-1 NOTIFY=NEVER").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test> NOTIFY=NEVER", "250 2.1.5"));
        rows.add(row("X-DSN-1 NOTIFY list and ORCPT").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test> NOTIFY=SUCCESS,FAILURE,DELAY "
                        + "ORCPT=rfc822;postmaster@posthorn.test", "250 2.1.5")
                .check(h -> assertThat(h.protocol.transaction().recipients().get(0).params().notifyOn())
                        .containsExactlyInAnyOrder("SUCCESS", "FAILURE", "DELAY")));
        for (String bad : List.of("NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS,SUCCESS", "NOTIFY=SOMETIMES",
                "NOTIFY=NEVER NOTIFY=NEVER", "ORCPT=rfc822", "ORCPT=rfc822;a+ZZ", "ORCPT=;a@b",
                "ORCPT=rfc822;" + "o".repeat(500))) {
            rows.add(row("X-DSN-2 RCPT " + bad.substring(0, Math.min(bad.length(), 30))).given(EHLO, MAIL)
                    .when("RCPT TO:<postmaster@posthorn.test> " + bad, "501 5.5.4"));
        }
        rows.add(row("X-DSN-2 text: Bad NOTIFY parameter syntax").given(EHLO, MAIL)
                .when("RCPT TO:<postmaster@posthorn.test> NOTIFY=ALWAYS", "501 5.5.4 Bad NOTIFY parameter syntax"));
        for (String bad : List.of("RET=ALL", "RET=FULL RET=HDRS", "ENVID=" + "e".repeat(101), "ENVID=a+zz",
                "ENVID=a ENVID=b", "RET")) {
            rows.add(row("X-DSN-2 MAIL " + bad.substring(0, Math.min(bad.length(), 30))).given(EHLO)
                    .when("MAIL FROM:<sender@example.org> " + bad, "501 5.5.4"));
        }
        rows.add(row("X-DSN-3 DSN parameter when DSN was not advertised (HELO)").given(HELO)
                .when("MAIL FROM:<sender@example.org> RET=FULL", "555 5.5.4"));
        rows.add(row("X-BDAT-1 CHUNKING advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).contains("CHUNKING")));
        rows.add(row("X-BDAT-1 chunks: one reply each, LAST delivers").given(READY).when("BDAT 10", "CHUNK:10")
                .then("@CHUNK_END", "250 2.0.0 10 octets received").then("BDAT 5 LAST", "CHUNK:5 LAST")
                .then("@CHUNK_END", "COMMIT").then("@COMMIT", "250 2.0.0 Ok: queued as " + ProtocolHarness.QUEUE_ID)
                .check(h -> assertThat(h.protocol.transaction()).isNull()));
        rows.add(row("X-BDAT-1 LAST is case-insensitive").given(READY).when("bdat 4 last", "CHUNK:4 LAST"));
        rows.add(row("X-BDAT-2 BDAT 0 LAST ends the message").given(READY).given("BDAT 10", "@CHUNK_END")
                .when("BDAT 0 LAST", "CHUNK:0 LAST").then("@CHUNK_END", "COMMIT"));
        rows.add(row("X-BDAT-3 DATA after BDAT: 503 5.5.1").given(READY).given("BDAT 10", "@CHUNK_END")
                .when("DATA", "503 5.5.1"));
        rows.add(row("X-BDAT-4 BDAT after BDAT LAST: 503 5.5.1, chunk discarded").given(READY)
                .given("BDAT 3 LAST", "@CHUNK_END", "@COMMIT").when("BDAT 5", "DISCARD:5 503 5.5.1"));
        rows.add(row("X-BDAT-4 BDAT without a transaction: 503 5.5.1, chunk discarded").given(EHLO)
                .when("BDAT 7 LAST", "DISCARD:7 503 5.5.1"));
        rows.add(row("X-BDAT-5 BDAT without recipients: 554 5.5.1, chunk discarded").given(EHLO, MAIL)
                .when("BDAT 7", "DISCARD:7 554 5.5.1"));
        rows.add(row("X-BDAT-6 BDAT count not numeric: 501 5.5.4 and close").given(READY)
                .when("BDAT ten", "CLOSE:501 5.5.4 Syntax: BDAT count [LAST]"));
        rows.add(row("X-BDAT-6 BDAT without count: 501 5.5.4 and close").given(READY).when("BDAT", "CLOSE:501 5.5.4"));
        rows.add(row("X-BDAT-6 BDAT with junk after the count: 501 5.5.4 and close").given(READY)
                .when("BDAT 10 FINAL", "CLOSE:501 5.5.4"));
        rows.add(row("X-BDAT-7 chunk over the size limit: 552 5.3.4, discarded").given(READY)
                .when("BDAT " + (max + 1), "DISCARD:" + (max + 1) + " 552 5.3.4"));
        rows.add(row("X-BDAT-8 BODY=BINARYMIME is not offered").given(EHLO)
                .when("MAIL FROM:<sender@example.org> BODY=BINARYMIME", "501 5.5.4"));
        rows.add(row("X-BDAT-9 RSET between chunks discards everything").given(READY).given("BDAT 10", "@CHUNK_END")
                .when("RSET", "250 2.0.0").then("BDAT 5 LAST", "DISCARD:5 503 5.5.1")
                .check(h -> assertThat(h.protocol.transaction()).isNull()));
        rows.add(row("LIMITS RCPTMAX advertised").when(EHLO, "250 ")
                .check(h -> assertThat(h.lastLines()).anyMatch(l -> l.startsWith("LIMITS ") && l.contains("RCPTMAX=100"))));
    }

    // §13 RSET, NOOP, VRFY, EXPN, HELP, QUIT.

    static void section13(List<Row> rows) {
        rows.add(row("C-1 RSET discards the transaction").given(READY).when("RSET", "250 2.0.0 OK")
                .then(RCPT, "503 5.5.1").then("NOOP", "250 2.0.0"));
        rows.add(row("C-2 NOOP with an argument").given(EHLO).when("NOOP whatever you like", "250 2.0.0 OK"));
        rows.add(row("C-2 NOOP before EHLO").when("NOOP", "250 2.0.0 OK"));
        rows.add(row("C-2 NOOP keeps the transaction").given(READY).when("NOOP", "250 2.0.0").then("DATA", "DATA:354"));
        rows.add(row("C-3 VRFY: 252 2.5.0").given(EHLO).when("VRFY postmaster",
                "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"));
        rows.add(row("C-3 VRFY of an unknown address is still not verified").given(EHLO)
                .when("VRFY nobody@posthorn.test", "252 2.5.0"));
        rows.add(row("C-4 EXPN: 502 5.5.1 and not listed").given(EHLO).when("EXPN staff", "502 5.5.1")
                .check(h -> assertThat(ProtocolHarness.replyOf(h.actions.get(0)).lines()).noneMatch(l -> l.startsWith("EXPN"))));
        rows.add(row("C-5 HELP: 214 2.0.0").given(EHLO).when("HELP", "214 2.0.0"));
        rows.add(row("C-5 HELP topic").given(EHLO).when("HELP mail", "214 2.0.0"));
        rows.add(row("C-5 HELP unknown topic: 504 5.5.4").given(EHLO).when("HELP XYZZY", "504 5.5.4"));
        rows.add(row("C-6 QUIT: 221 2.0.0 and close").given(EHLO).when("QUIT", "CLOSE:221 2.0.0 mx.posthorn.test"));
        rows.add(row("C-6 QUIT before EHLO").when("QUIT", "CLOSE:221 2.0.0"));
    }

    // §14 Timeouts (the values; the behaviour is on the wire).

    static void section14(List<Row> rows) {
        rows.add(row("O-1 command timeout at least 5 minutes by default").when(EHLO, "250 ")
                .check(h -> assertThat(new PosthornConfig().limits.commandTimeoutSeconds).isGreaterThanOrEqualTo(300)));
        rows.add(row("O-3 timeout reply is 421 4.4.2").when(EHLO, "250 ")
                .check(h -> assertThat(ReplyName.TIMEOUT.reply(ProtocolHarness.HOSTNAME).summary())
                        .isEqualTo("421 4.4.2 mx.posthorn.test Error: timeout exceeded")));
    }

    // §15 Reply catalogue: code, ESC and text prefix of every reply the MX port can send.

    @ParameterizedTest(name = "15 {0}")
    @MethodSource("catalogue")
    void catalogueMatchesSection15(ReplyName name, String expected) {
        Reply reply = template(name);
        String summary = reply.enhanced() == null ? reply.code() + " " + reply.lines().get(0)
                : reply.code() + " " + reply.enhanced() + " " + reply.lines().get(0);
        assertThat(summary).startsWith(expected);
    }

    static Stream<Arguments> catalogue() {
        return Stream.of(
                Arguments.of(ReplyName.GREETING, "220 %s ESMTP"),
                Arguments.of(ReplyName.SERVICE_REFUSED, "554 %s No SMTP service here"),
                Arguments.of(ReplyName.CLOSING, "221 2.0.0 %s closing connection"),
                Arguments.of(ReplyName.OK, "250 2.0.0 OK"),
                Arguments.of(ReplyName.SENDER_OK, "250 2.1.0 Sender OK"),
                Arguments.of(ReplyName.RECIPIENT_OK, "250 2.1.5 Recipient OK"),
                Arguments.of(ReplyName.QUEUED, "250 2.0.0 Ok: queued as %s"),
                Arguments.of(ReplyName.CHUNK_RECEIVED, "250 2.0.0 %s octets received"),
                Arguments.of(ReplyName.VRFY_UNVERIFIED,
                        "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"),
                Arguments.of(ReplyName.HELP, "214 2.0.0 "),
                Arguments.of(ReplyName.START_MAIL_INPUT, "354 End data with <CR><LF>.<CR><LF>"),
                Arguments.of(ReplyName.SHUTTING_DOWN, "421 4.3.2 "),
                Arguments.of(ReplyName.TIMEOUT, "421 4.4.2 "),
                Arguments.of(ReplyName.TOO_MANY_ERRORS, "421 4.7.0 "),
                Arguments.of(ReplyName.TOO_MANY_CONNECTIONS, "421 4.7.0 "),
                Arguments.of(ReplyName.TOO_MANY_CONNECTIONS_FROM_ADDRESS, "421 4.7.0 "),
                Arguments.of(ReplyName.LOCAL_ERROR, "451 4.3.0 Local error in processing"),
                Arguments.of(ReplyName.TOO_MANY_RECIPIENTS, "452 4.5.3 Too many recipients"),
                Arguments.of(ReplyName.INSUFFICIENT_STORAGE, "452 4.3.1 Insufficient system storage"),
                Arguments.of(ReplyName.UNRECOGNIZED_COMMAND, "500 5.5.2 Syntax error, command unrecognized"),
                Arguments.of(ReplyName.LINE_TOO_LONG, "500 5.5.2 Line too long"),
                Arguments.of(ReplyName.BARE_LF_IN_COMMAND, "500 5.5.2 "),
                Arguments.of(ReplyName.BARE_CR_IN_COMMAND, "500 5.5.2 "),
                Arguments.of(ReplyName.INVALID_CHARACTER, "500 5.5.2 "),
                Arguments.of(ReplyName.SYNTAX_ERROR_IN_ARGUMENTS, "501 5.5.4 Syntax error in parameters or arguments"),
                Arguments.of(ReplyName.BAD_SENDER_SYNTAX, "501 5.1.7 Bad sender address syntax"),
                Arguments.of(ReplyName.BAD_RECIPIENT_SYNTAX, "501 5.1.3 Bad recipient address syntax"),
                Arguments.of(ReplyName.PATH_TOO_LONG, "501 5.5.4 Path too long"),
                Arguments.of(ReplyName.BAD_SIZE_SYNTAX, "501 5.5.4 Bad message size syntax"),
                Arguments.of(ReplyName.BAD_BODY_VALUE, "501 5.5.4 Invalid BODY value"),
                Arguments.of(ReplyName.BAD_PARAMETER_SYNTAX, "501 5.5.4 Bad %s parameter syntax"),
                Arguments.of(ReplyName.BDAT_SYNTAX, "501 5.5.4 Syntax: BDAT count [LAST]"),
                Arguments.of(ReplyName.NOT_IMPLEMENTED, "502 5.5.1 Command not implemented"),
                Arguments.of(ReplyName.BAD_SEQUENCE, "503 5.5.1 Bad sequence of commands"),
                Arguments.of(ReplyName.SEND_HELO_FIRST, "503 5.5.1 Error: send HELO/EHLO first"),
                Arguments.of(ReplyName.PARAMETER_NOT_IMPLEMENTED, "504 5.5.4 Command parameter not implemented"),
                Arguments.of(ReplyName.USER_UNKNOWN, "550 5.1.1 <%s>: "),
                Arguments.of(ReplyName.RELAY_DENIED, "550 5.7.1 <%s>: Relaying denied"),
                Arguments.of(ReplyName.BARE_LF_IN_DATA, "550 5.5.2 Error: bare <LF> received"),
                Arguments.of(ReplyName.BARE_CR_IN_DATA, "550 5.5.2 Error: bare <CR> received"),
                Arguments.of(ReplyName.MESSAGE_TOO_BIG, "552 5.3.4 Message size exceeds fixed maximum message size"),
                Arguments.of(ReplyName.CHUNK_TOO_BIG, "552 5.3.4 Chunk exceeds message size limit"),
                Arguments.of(ReplyName.SMTPUTF8_REQUIRED, "553 5.6.7 "),
                Arguments.of(ReplyName.NO_VALID_RECIPIENTS, "554 5.5.1 No valid recipients"),
                Arguments.of(ReplyName.TOO_MANY_HOPS, "554 5.4.0 Too many hops"),
                Arguments.of(ReplyName.PIPELINING_VIOLATION, "554 5.5.0 Error: SMTP protocol synchronization"),
                Arguments.of(ReplyName.UNSUPPORTED_OPTION, "555 5.5.4 Unsupported option: %s"));
    }
}
