package dev.posthorn.submission;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.auth.ScramClient;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The submission ports against SMTP-CONFORMANCE §4 (per-port matrix), §9 P-4 (STARTTLS injection), §10
 * (STARTTLS) and §11 (AUTH), with every reply asserted exactly: code, enhanced code and text. Each rule runs
 * on 587 (STARTTLS, then AUTH) and on 465 (implicit TLS, then AUTH) where it applies to both; the MX port is
 * checked for the parts of the matrix that differ.
 */
class SubmissionConformanceTest {

    static final String HOST = "mx.posthorn.test";
    static final String ALICE = "alice@posthorn.test";
    static final String ALICE_ALIAS = "a.liddell@posthorn.test";
    static final String BOB = "bob@posthorn.test";
    static final String PASSWORD = "correct horse battery staple";

    static final String STARTTLS_FIRST = "530 5.7.0 Must issue a STARTTLS command first";
    static final String AUTH_REQUIRED = "530 5.7.0 Authentication required";
    static final String AUTH_OK = "235 2.7.0 Authentication successful";
    static final String ABORTED = "501 5.7.0 Authentication aborted";
    static final String CANNOT_DECODE = "501 5.5.2 Cannot decode response";
    static final String UNKNOWN_MECHANISM = "504 5.5.4 Unrecognized authentication type";
    static final String INVALID_CREDENTIALS = "535 5.7.8 Authentication credentials invalid";
    static final String ALREADY_AUTHENTICATED = "503 5.5.1 Already authenticated";
    static final String AUTH_LINE_TOO_LONG = "500 5.5.6 Authentication Exchange line is too long";
    static final String NOT_OWNED = "553 5.7.1 Sender address not owned by user";
    static final String SEND_HELO_FIRST = "503 5.5.1 Error: send HELO/EHLO first";
    static final String TLS_ALREADY_ACTIVE = "503 5.5.1 TLS already active";
    static final String READY_FOR_TLS = "220 2.0.0 Ready to start TLS";
    static final String OK = "250 2.0.0 OK";
    static final String SENDER_OK = "250 2.1.0 Sender OK";
    static final String RECIPIENT_OK = "250 2.1.5 Recipient OK";
    static final String SYNC_ERROR = "554 5.5.0 Error: SMTP protocol synchronization";

    @TempDir
    static Path dataDir;
    static RunningServer server;

    /** The two submission ports and how a client gets to "TLS is up, EHLO sent". */
    enum Port {
        SUBMISSION_587, SUBMISSIONS_465
    }

    @BeforeAll
    static void start() {
        UserStore users = UserStore.open(dataDir);
        users.add(ALICE, PASSWORD.toCharArray());
        users.addAlias(ALICE, ALICE_ALIAS);
        users.add(BOB, "bobs password".toCharArray());
        // The throttle is server-wide per IP; this class's many deliberate failures must not trip it
        // (the throttle has its own tests below, on their own servers).
        server = RunningServer.start(dataDir, c -> {
            c.auth.maxFailuresPerIp = 10_000;
            c.auth.maxFailuresPerUser = 10_000;
            c.auth.disconnectAfterFailures = 10_000;
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    // ---------------------------------------------------------------- connection helpers

    static SmtpWire plain587() throws IOException {
        SmtpWire wire = SmtpWire.connect(server.port(ListenerRole.SUBMISSION));
        assertThat(wire.reply()).startsWith("220 " + HOST + " ESMTP Posthorn");
        return wire;
    }

    /** Connected, TLS up, greeting read, nothing else sent. */
    static SmtpWire tlsWithoutEhlo(Port port) throws IOException {
        if (port == Port.SUBMISSIONS_465) {
            SmtpWire wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS));
            assertThat(wire.reply()).startsWith("220 " + HOST + " ESMTP Posthorn");
            return wire;
        }
        SmtpWire wire = plain587();
        assertThat(wire.command("EHLO client.test")).contains("250-STARTTLS");
        assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
        return wire.startTls();
    }

    /** TLS up and EHLO answered. */
    static SmtpWire tls(Port port) throws IOException {
        SmtpWire wire = tlsWithoutEhlo(port);
        assertThat(wire.command("EHLO client.test")).startsWith("250-" + HOST);
        return wire;
    }

    /** TLS up, EHLO answered, authenticated as alice. */
    static SmtpWire authenticated(Port port) throws IOException {
        SmtpWire wire = tls(port);
        assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
        return wire;
    }

    static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }

    static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(UTF_8));
    }

    // ---------------------------------------------------------------- §4 / T-4: 530 before STARTTLS on 587

    @ParameterizedTest
    @ValueSource(strings = {"RSET", "MAIL FROM:<alice@posthorn.test>", "RCPT TO:<alice@posthorn.test>", "DATA",
            "AUTH PLAIN AGFsaWNlQHBvc3Rob3JuLnRlc3QAeA==", "AUTH LOGIN", "AUTH SCRAM-SHA-256", "VRFY alice",
            "HELP", "ETRN posthorn.test", "ATRN posthorn.test", "EXPN staff", "BDAT 0 LAST"})
    void beforeTlsOn587EveryOtherCommandGets530MustIssueStarttls(String command) throws IOException {
        try (SmtpWire wire = plain587()) {
            assertThat(wire.command("EHLO client.test")).startsWith("250-");
            assertThat(wire.command(command)).isEqualTo(STARTTLS_FIRST);
            // The refusal does not end the session, and the credentials were never checked.
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    @Test
    void beforeTlsOn587TheSameHoldsBeforeEhlo() throws IOException {
        try (SmtpWire wire = plain587()) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(STARTTLS_FIRST);
            assertThat(wire.command("RSET")).isEqualTo(STARTTLS_FIRST);
        }
    }

    @Test
    void beforeTlsOn587EhloHeloNoopStarttlsAndQuitAreAnswered() throws IOException {
        try (SmtpWire wire = plain587()) {
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("HELO client.test")).isEqualTo("250 " + HOST + " greets client.test");
            assertThat(wire.command("EHLO client.test")).startsWith("250-" + HOST + " greets client.test\n");
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("QUIT")).isEqualTo("221 2.0.0 " + HOST + " closing connection");
            assertThat(wire.closedByServer()).isTrue();
        }
        try (SmtpWire wire = plain587()) {
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
        }
    }

    // ---------------------------------------------------------------- §4 matrix: EHLO lists

    @Test
    void ehloOn587OffersStarttlsBeforeTlsAndAuthOnlyAfter() throws IOException {
        try (SmtpWire wire = plain587()) {
            List<String> before = keywords(wire.command("EHLO client.test"));
            assertThat(before).contains("STARTTLS", "PIPELINING", "ENHANCEDSTATUSCODES");
            assertThat(before).noneMatch(k -> k.startsWith("AUTH"));
            assertThat(before).noneMatch(k -> k.startsWith("ETRN") || k.startsWith("ATRN"));
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
            try (SmtpWire tls = wire.startTls()) {
                List<String> after = keywords(tls.command("EHLO client.test"));
                assertThat(after).doesNotContain("STARTTLS");
                assertThat(after).contains("PIPELINING", "ENHANCEDSTATUSCODES");
                assertAuthLine(after);
                assertThat(after).noneMatch(k -> k.startsWith("ETRN") || k.startsWith("ATRN"));
            }
        }
    }

    @Test
    void ehloOn465OffersAuthAndNeverStarttls() throws IOException {
        try (SmtpWire wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS))) {
            assertThat(wire.reply()).startsWith("220 " + HOST + " ESMTP Posthorn");
            assertThat(wire.tlsProtocol()).isEqualTo("TLSv1.3");
            List<String> keywords = keywords(wire.command("EHLO client.test"));
            assertThat(keywords).doesNotContain("STARTTLS");
            assertThat(keywords).contains("PIPELINING", "ENHANCEDSTATUSCODES");
            assertAuthLine(keywords);
            assertThat(keywords).noneMatch(k -> k.startsWith("ETRN") || k.startsWith("ATRN"));
        }
    }

    private static void assertAuthLine(List<String> keywords) {
        String auth = keywords.stream().filter(k -> k.startsWith("AUTH ")).findFirst().orElseThrow();
        assertThat(auth.substring(5).split(" ")).containsExactlyInAnyOrder("PLAIN", "LOGIN", "SCRAM-SHA-256");
    }

    /** The keyword lines of an EHLO reply, without the code and the greeting line. */
    static List<String> keywords(String ehloReply) {
        String[] lines = ehloReply.split("\n");
        assertThat(lines[0]).startsWith("250-");
        List<String> keywords = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            assertThat(lines[i]).startsWith(i == lines.length - 1 ? "250 " : "250-");
            keywords.add(lines[i].substring(4));
        }
        return keywords;
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void etrnAndAtrnAreNotImplementedEvenAfterAuth(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("ETRN posthorn.test")).isEqualTo("502 5.5.1 Command not implemented");
            assertThat(wire.command("ATRN posthorn.test")).isEqualTo("502 5.5.1 Command not implemented");
        }
    }

    // ---------------------------------------------------------------- 530 Authentication required

    @ParameterizedTest
    @EnumSource(Port.class)
    void mailBeforeAuthGets530AuthenticationRequiredAndAfterAuth250(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("DATA")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("VRFY bob")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("ETRN posthorn.test")).isEqualTo(AUTH_REQUIRED);
            // AUTH, EHLO, HELO, NOOP, RSET and QUIT work before authentication.
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("RSET")).isEqualTo(OK);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo(RECIPIENT_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void aLaterEhloResetsTheTransactionButNotTheAuthentication(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("EHLO client.test")).startsWith("250-");
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo("503 5.5.1 Bad sequence of commands");
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void mailAcceptsTheAuthParameter(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test> AUTH=<>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RSET")).isEqualTo(OK);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test> AUTH=alice@posthorn.test"))
                    .isEqualTo(SENDER_OK);
        }
    }

    // ---------------------------------------------------------------- the mechanisms

    @ParameterizedTest
    @EnumSource(Port.class)
    void plainWithInitialResponse(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void plainWithoutInitialResponseGetsAnEmptyChallenge(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH PLAIN")).isEqualTo("334 ");
            assertThat(wire.command(plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void plainWithTheEmptyInitialResponseMarker(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            // RFC 4954 §4: "=" is an empty initial response; PLAIN with nothing in it fails.
            assertThat(wire.command("AUTH PLAIN =")).isEqualTo(INVALID_CREDENTIALS);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void loginAsksForUserNameAndPassword(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("auth login")).isEqualTo("334 " + b64("Username:"));
            assertThat(wire.command(b64(ALICE))).isEqualTo("334 " + b64("Password:"));
            assertThat(wire.command(b64(PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void loginWithTheUserNameAsInitialResponse(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH LOGIN " + b64(ALICE))).isEqualTo("334 " + b64("Password:"));
            assertThat(wire.command(b64(PASSWORD))).isEqualTo(AUTH_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void scramSha256WithAndWithoutInitialResponse(Port port) throws IOException {
        for (boolean initialResponse : new boolean[] {true, false}) {
            try (SmtpWire wire = tls(port)) {
                ScramClient client = new ScramClient(ALICE, PASSWORD, "n,,");
                String first = Base64.getEncoder().encodeToString(client.first());
                String serverFirst;
                if (initialResponse) {
                    serverFirst = wire.command("AUTH SCRAM-SHA-256 " + first);
                } else {
                    assertThat(wire.command("AUTH SCRAM-SHA-256")).isEqualTo("334 ");
                    serverFirst = wire.command(first);
                }
                assertThat(serverFirst).startsWith("334 ");
                byte[] clientFinal = client.finalMessage(Base64.getDecoder().decode(serverFirst.substring(4)));
                String serverFinal = wire.command(Base64.getEncoder().encodeToString(clientFinal));
                assertThat(serverFinal).startsWith("334 ");
                assertThat(client.serverSignatureValid(Base64.getDecoder().decode(serverFinal.substring(4)))).isTrue();
                assertThat(wire.command("")).isEqualTo(AUTH_OK);
                assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void scramWithTheWrongPasswordGets535(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            ScramClient client = new ScramClient(ALICE, "not the password", "n,,");
            String serverFirst = wire.command("AUTH SCRAM-SHA-256 " + Base64.getEncoder().encodeToString(client.first()));
            byte[] clientFinal = client.finalMessage(Base64.getDecoder().decode(serverFirst.substring(4)));
            assertThat(wire.command(Base64.getEncoder().encodeToString(clientFinal))).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void authPlainWithInitialResponseMayBePipelinedAndSoMayTheTransaction(Port port) throws IOException {
        // RFC 4954 §4 / P-1: AUTH PLAIN <ir> completes in one round trip and may be followed in the same group;
        // P-5: PIPELINING works on the submission ports.
        try (SmtpWire wire = tls(port)) {
            wire.send("AUTH PLAIN " + plain(ALICE, PASSWORD) + "\r\nMAIL FROM:<alice@posthorn.test>\r\n"
                    + "RCPT TO:<bob@posthorn.test>\r\nDATA\r\n");
            assertThat(wire.reply()).isEqualTo(AUTH_OK);
            assertThat(wire.reply()).isEqualTo(SENDER_OK);
            assertThat(wire.reply()).isEqualTo(RECIPIENT_OK);
            assertThat(wire.reply()).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
            assertThat(wire.command("Subject: pipelined\r\n\r\nx\r\n.")).startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    // ---------------------------------------------------------------- A-10 .. A-16

    @ParameterizedTest
    @EnumSource(Port.class)
    void starCancelsAsInitialResponseAndInsideTheExchange(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH PLAIN *")).isEqualTo(ABORTED);
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command("*")).isEqualTo(ABORTED);
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command(b64(ALICE))).startsWith("334 ");
            assertThat(wire.command("*")).isEqualTo(ABORTED);
            assertThat(wire.command("AUTH SCRAM-SHA-256")).isEqualTo("334 ");
            assertThat(wire.command("*")).isEqualTo(ABORTED);
            // Still not authenticated, and the session goes on.
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void badBase64Gets501Dot5Dot5Dot2(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH PLAIN not!base64")).isEqualTo(CANNOT_DECODE);
            assertThat(wire.command("AUTH PLAIN AG=FsaWNl")).isEqualTo(CANNOT_DECODE);
            assertThat(wire.command("AUTH PLAIN")).isEqualTo("334 ");
            assertThat(wire.command("%%%")).isEqualTo(CANNOT_DECODE);
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command("YWxp=Y2U=")).isEqualTo(CANNOT_DECODE);
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void authWithoutAMechanismOrWithTooManyArgumentsGets501(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH")).isEqualTo("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
            assertThat(wire.command("AUTH PLAIN a b")).isEqualTo("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void unknownMechanismGets504(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH CRAM-MD5")).isEqualTo(UNKNOWN_MECHANISM);
            assertThat(wire.command("AUTH XOAUTH2 dXNlcj1h")).isEqualTo(UNKNOWN_MECHANISM);
            assertThat(wire.command("AUTH SCRAM-SHA-256-PLUS")).isEqualTo(UNKNOWN_MECHANISM);
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void wrongCredentialsGet535AndTheSessionContinues(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, "guess"))).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("AUTH PLAIN " + plain("nobody@posthorn.test", "guess")))
                    .isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH LOGIN " + b64(ALICE))).startsWith("334 ");
            assertThat(wire.command(b64("guess"))).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(AUTH_REQUIRED);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void secondAuthGets503(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("AUTH PLAIN " + plain(BOB, "bobs password"))).isEqualTo(ALREADY_AUTHENTICATED);
            assertThat(wire.command("AUTH LOGIN")).isEqualTo(ALREADY_AUTHENTICATED);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void authDuringATransactionGets503(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SENDER_OK);
            // A transaction needs AUTH on these ports, so the session is also already authenticated: 503 5.5.1.
            assertThat(wire.command("AUTH PLAIN " + plain(BOB, "bobs password"))).startsWith("503 5.5.1 ");
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo(RECIPIENT_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void authExchangeLinesUpTo12288OctetsAreReadAndLongerOnesGet500Dot5Dot5Dot6(Port port) throws IOException {
        try (SmtpWire wire = tls(port)) {
            // RFC 4954 §4: at least 12288 octets per line; this one is read and judged (wrong credentials).
            String longButAllowed = plain(ALICE, "p".repeat(9000));
            assertThat(longButAllowed.length()).isBetween(12000, 12288 - "AUTH PLAIN ".length());
            assertThat(wire.command("AUTH PLAIN " + longButAllowed)).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH PLAIN")).isEqualTo("334 ");
            assertThat(wire.command(longButAllowed)).isEqualTo(INVALID_CREDENTIALS);
            // 13000 octets: the command line with an initial response, and a response line.
            assertThat(wire.command("AUTH PLAIN " + "A".repeat(13000 - 11))).isEqualTo(AUTH_LINE_TOO_LONG);
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command("A".repeat(13000))).isEqualTo(AUTH_LINE_TOO_LONG);
            // Each was one reply, the session is in step and can still authenticate.
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
        }
    }

    @Test
    void overLongOrdinaryCommandsStillGet500Dot5Dot5Dot2() throws IOException {
        try (SmtpWire wire = tls(Port.SUBMISSION_587)) {
            // X.5.6 is for AUTH exchange lines only (ESC-4, L-5).
            assertThat(wire.command("NOOP " + "x".repeat(6000))).isEqualTo("500 5.5.2 Line too long");
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    // ---------------------------------------------------------------- sender binding

    @ParameterizedTest
    @EnumSource(Port.class)
    void senderBindingAtMail(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(wire.command("MAIL FROM:<bob@posthorn.test>")).isEqualTo(NOT_OWNED);
            assertThat(wire.command("MAIL FROM:<someone@example.org>")).isEqualTo(NOT_OWNED);
            assertThat(wire.command("MAIL FROM:<a.liddell@posthorn.test>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RSET")).isEqualTo(OK);
            assertThat(wire.command("MAIL FROM:<Alice@Posthorn.Test>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RSET")).isEqualTo(OK);
            // RFC 6409 §3.2: the null reverse-path is never by itself a reason to refuse.
            assertThat(wire.command("MAIL FROM:<>")).isEqualTo(SENDER_OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void senderBindingOfTheFromHeaderAtEndOfData(Port port) throws IOException {
        try (SmtpWire wire = authenticated(port)) {
            assertThat(sendMessage(wire, ALICE, BOB, "From: Bob <bob@posthorn.test>\r\nSubject: forged\r\n\r\nx\r\n"))
                    .isEqualTo(NOT_OWNED);
            // The session goes on, and an owned address (here an alias) in From: is accepted.
            assertThat(sendMessage(wire, ALICE, BOB, "From: Alice <a.liddell@posthorn.test>\r\nSubject: ok\r\n\r\nx\r\n"))
                    .startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    @Test
    void senderBindingCanBeTurnedOff(@TempDir Path otherDir) throws IOException {
        UserStore.open(otherDir).add(ALICE, PASSWORD.toCharArray());
        try (RunningServer unbound = RunningServer.start(otherDir, c -> c.auth.senderBinding = false);
                SmtpWire wire = SmtpWire.connectTls(unbound.port(ListenerRole.SUBMISSIONS))) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<someone@example.org>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).isEqualTo(RECIPIENT_OK);
            assertThat(wire.command("DATA")).startsWith("354 ");
            assertThat(wire.command("From: someone@example.org\r\n\r\nx\r\n.")).startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    @Test
    void aDovecotPasswdFileIsAUserSourceWithSenderBinding(@TempDir Path otherDir) throws IOException {
        UserStore.open(otherDir).add(BOB, "bobs password".toCharArray());
        Path passwd = otherDir.resolve("passwd");
        // openssl passwd -6 -salt posthornsalt 'dave pass'
        Files.writeString(passwd, "# Dovecot passwd-file\ndave@posthorn.test:{SHA512-CRYPT}$6$posthornsalt$"
                + "01oNcgP/XZQTXzGYOaPDke4XXdXLGf6uE90JmBkCXKRP7Aatc8TeLPcli8lmZi42p0XhcV8ZOOgbneb0P9O4V1::::::\n");
        try (RunningServer withFile = RunningServer.start(otherDir, c -> c.auth.passwdFile = passwd.toString());
                SmtpWire wire = SmtpWire.connectTls(withFile.port(ListenerRole.SUBMISSIONS))) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("AUTH PLAIN " + plain("dave@posthorn.test", "wrong"))).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH LOGIN " + b64("dave@posthorn.test"))).startsWith("334 ");
            assertThat(wire.command(b64("dave pass"))).isEqualTo(AUTH_OK);
            assertThat(wire.command("MAIL FROM:<bob@posthorn.test>")).isEqualTo(NOT_OWNED);
            assertThat(sendMessage(wire, "dave@posthorn.test", BOB, "From: dave@posthorn.test\r\n\r\nx\r\n"))
                    .startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    @Test
    void anUnreadableCredentialSourceIsATemporaryFailure(@TempDir Path otherDir) throws IOException {
        // the backend breaks while the server runs (here the passwd file is replaced by a directory):
        // 454 4.7.0, and the session goes on.
        Path passwd = otherDir.resolve("passwd");
        Files.writeString(passwd, "dave@posthorn.test:{SHA512-CRYPT}$6$posthornsalt$"
                + "01oNcgP/XZQTXzGYOaPDke4XXdXLGf6uE90JmBkCXKRP7Aatc8TeLPcli8lmZi42p0XhcV8ZOOgbneb0P9O4V1\n");
        try (RunningServer broken = RunningServer.start(otherDir, c -> c.auth.passwdFile = passwd.toString());
                SmtpWire wire = SmtpWire.connectTls(broken.port(ListenerRole.SUBMISSIONS))) {
            Files.delete(passwd);
            Files.createDirectory(passwd);
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("AUTH PLAIN " + plain("dave@posthorn.test", "dave pass")))
                    .isEqualTo("454 4.7.0 Temporary authentication failure");
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command(b64("dave@posthorn.test"))).startsWith("334 ");
            assertThat(wire.command(b64("dave pass"))).isEqualTo("454 4.7.0 Temporary authentication failure");
            assertThat(wire.command("NOOP")).isEqualTo(OK);
        }
    }

    /** MAIL, RCPT, DATA and the content; returns the reply to the end of data. */
    static String sendMessage(SmtpWire wire, String from, String to, String content) throws IOException {
        assertThat(wire.command("MAIL FROM:<" + from + ">")).isEqualTo(SENDER_OK);
        assertThat(wire.command("RCPT TO:<" + to + ">")).isEqualTo(RECIPIENT_OK);
        assertThat(wire.command("DATA")).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
        return wire.command(content + ".");
    }

    // ---------------------------------------------------------------- §4 matrix: relay

    @ParameterizedTest
    @EnumSource(Port.class)
    void authenticatedUsersRelayAndTheMessageStaysQueued(Port port) throws Exception {
        String reply;
        try (SmtpWire wire = authenticated(port)) {
            reply = sendMessage(wire, ALICE, "friend@remote.example",
                    "From: alice@posthorn.test\r\nTo: friend@remote.example\r\nSubject: out\r\n\r\nhello\r\n");
        }
        assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
        String id = reply.substring("250 2.0.0 Ok: queued as ".length());
        Path queue = dataDir.resolve("queue");
        // Local delivery runs at once and must not drop the remote recipient: a local message sent after it is the
        // sentinel; once that one is delivered, delivery has been at this one too.
        String sentinel = "sentinel " + System.nanoTime();
        try (SmtpWire wire = authenticated(port)) {
            assertThat(sendMessage(wire, ALICE, BOB, "Subject: " + sentinel + "\r\n\r\nx\r\n"))
                    .startsWith("250 2.0.0 Ok: queued as ");
        }
        awaitMessageWithSubject(BOB, sentinel);
        assertThat(queue.resolve(id + ".msg")).exists();
        assertThat(queue.resolve(id + ".env")).exists();
        Envelope envelope = EnvelopeCodec.read(queue.resolve(id + ".env"));
        assertThat(envelope.recipients()).extracting(EnvelopeRecipient::address, EnvelopeRecipient::local)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("friend@remote.example", false));
        assertThat(envelope.authUser()).isEqualTo(ALICE);
        assertThat(Files.readString(queue.resolve(id + ".msg"))).contains("Subject: out");
    }

    @Test
    void aRelayedMessageSurvivesARestartInTheQueue(@TempDir Path otherDir) throws Exception {
        UserStore.open(otherDir).add(ALICE, PASSWORD.toCharArray());
        String id;
        try (RunningServer first = RunningServer.start(otherDir);
                SmtpWire wire = SmtpWire.connectTls(first.port(ListenerRole.SUBMISSIONS))) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            String reply = sendMessage(wire, ALICE, "friend@remote.example", "Subject: durable\r\n\r\nx\r\n");
            assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
            id = reply.substring("250 2.0.0 Ok: queued as ".length());
        }
        // Its next hop refuses connections (RunningServer's smarthost), so it waits in the queue, across restarts.
        try (RunningServer second = RunningServer.start(otherDir)) {
            Thread.sleep(300);
            assertThat(second.server().queue().get(id)).as("still queued after the restart").isNotNull();
            assertThat(otherDir.resolve("queue").resolve(id + ".msg")).exists();
        }
    }

    @Test
    void unauthenticatedClientsNeverRelayOnMx() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("MAIL FROM:<someone@example.org>")).isEqualTo(SENDER_OK);
            assertThat(wire.command("RCPT TO:<friend@remote.example>"))
                    .isEqualTo("550 5.7.1 <friend@remote.example>: Relaying denied");
            assertThat(wire.command("STARTTLS")).isEqualTo("503 5.5.1 Error: MAIL transaction in progress");
            assertThat(wire.command("RSET")).isEqualTo(OK);
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
            try (SmtpWire tls = wire.startTls()) {
                tls.command("EHLO client.test");
                assertThat(tls.command("MAIL FROM:<someone@example.org>")).isEqualTo(SENDER_OK);
                assertThat(tls.command("RCPT TO:<friend@remote.example>"))
                        .isEqualTo("550 5.7.1 <friend@remote.example>: Relaying denied");
            }
        }
    }

    // ---------------------------------------------------------------- §4 matrix: MX

    @Test
    void mxOffersStarttlsNeverAuthAndTakesMailWithoutTls() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            assertThat(wire.reply()).startsWith("220 " + HOST + " ESMTP Posthorn");
            List<String> before = keywords(wire.command("EHLO client.test"));
            assertThat(before).contains("STARTTLS");
            assertThat(before).noneMatch(k -> k.startsWith("AUTH"));
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD)))
                    .isEqualTo("503 5.5.1 AUTH not available on this port");
            assertThat(sendMessage(wire, "someone@example.org", "postmaster@posthorn.test",
                    "Subject: plain\r\n\r\nno TLS needed\r\n")).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
            try (SmtpWire tls = wire.startTls()) {
                List<String> after = keywords(tls.command("EHLO client.test"));
                assertThat(after).doesNotContain("STARTTLS");
                assertThat(after).noneMatch(k -> k.startsWith("AUTH"));
                assertThat(tls.command("AUTH PLAIN " + plain(ALICE, PASSWORD)))
                        .isEqualTo("503 5.5.1 AUTH not available on this port");
                assertThat(sendMessage(tls, "someone@example.org", "postmaster@posthorn.test",
                        "Subject: tls\r\n\r\nwith TLS\r\n")).startsWith("250 2.0.0 Ok: queued as ");
            }
        }
    }

    // ---------------------------------------------------------------- §10 STARTTLS and P-4 injection

    @Test
    void starttlsWithAnArgumentGets501() throws IOException {
        try (SmtpWire wire = plain587()) {
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS now")).isEqualTo("501 5.5.4 Syntax error (no parameters allowed)");
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"SUBMISSION", "MX"})
    void starttlsInjectionIsRefusedAndThePipelinedCommandNeverRuns(String role) throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.port(ListenerRole.valueOf(role)))) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.send("STARTTLS\r\nRSET\r\n");
            // One reply only: the refusal. No 220 (no TLS with injected plaintext), no 250 for the RSET.
            assertThat(wire.linesUntilClosed()).containsExactly(SYNC_ERROR);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void plaintextSentAfterThe220IsNeverExecuted() throws IOException {
        try (SmtpWire wire = plain587()) {
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
            // An attacker in the path injects plaintext where the handshake should start: the handshake fails
            // and the connection closes, with no SMTP reply to the injected command (a TLS alert at most).
            wire.send("RSET\r\n");
            assertThat(wire.linesUntilClosed()).noneMatch(r -> r.matches("(?s)\\d{3}.*"));
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void implicitTlsPortClosesOnAPlaintextClient() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.port(ListenerRole.SUBMISSIONS))) {
            wire.send("EHLO client.test\r\n");
            // RFC 8314 §3.3: the greeting only comes inside TLS; a failed handshake closes the connection.
            assertThat(wire.linesUntilClosed()).noneMatch(r -> r.matches("(?s)\\d{3}.*"));
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void afterStarttlsEverythingIsForgottenAndEhloIsNeededAgain() throws IOException {
        try (SmtpWire wire = tlsWithoutEhlo(Port.SUBMISSION_587)) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo(SEND_HELO_FIRST);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(SEND_HELO_FIRST);
            assertThat(wire.command("EHLO client.test")).startsWith("250-");
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
        }
    }

    @Test
    void mxForgetsTheTransactionStateAcrossStarttls() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS")).isEqualTo(READY_FOR_TLS);
            try (SmtpWire tls = wire.startTls()) {
                assertThat(tls.command("MAIL FROM:<someone@example.org>")).isEqualTo(SEND_HELO_FIRST);
            }
        }
    }

    @Test
    void secondStarttlsGets503() throws IOException {
        try (SmtpWire wire = tlsWithoutEhlo(Port.SUBMISSION_587)) {
            assertThat(wire.command("STARTTLS")).isEqualTo(TLS_ALREADY_ACTIVE);
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS")).isEqualTo(TLS_ALREADY_ACTIVE);
            assertThat(wire.command("AUTH PLAIN " + plain(ALICE, PASSWORD))).isEqualTo(AUTH_OK);
            assertThat(wire.command("STARTTLS")).isEqualTo(TLS_ALREADY_ACTIVE);
        }
    }

    @Test
    void starttlsOn465Gets503() throws IOException {
        try (SmtpWire wire = tlsWithoutEhlo(Port.SUBMISSIONS_465)) {
            assertThat(wire.command("STARTTLS")).isEqualTo(TLS_ALREADY_ACTIVE);
            wire.command("EHLO client.test");
            assertThat(wire.command("STARTTLS")).isEqualTo(TLS_ALREADY_ACTIVE);
        }
    }

    // ---------------------------------------------------------------- T-11: TLS 1.2 and 1.3 only

    @ParameterizedTest
    @EnumSource(Port.class)
    void tls12ClientsAreServed(Port port) throws IOException {
        SmtpWire wire;
        if (port == Port.SUBMISSIONS_465) {
            wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS), "TLSv1.2");
            wire.reply();
        } else {
            SmtpWire plain = plain587();
            plain.command("EHLO client.test");
            plain.command("STARTTLS");
            wire = plain.startTls("TLSv1.2");
        }
        try (wire) {
            assertThat(wire.tlsProtocol()).isEqualTo("TLSv1.2");
            assertThat(wire.command("EHLO client.test")).startsWith("250-");
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void clientInitiatedRenegotiationIsRefused(Port port) throws IOException {
        // TLS 1.2 only (1.3 has no renegotiation): a client asking for a new handshake is refused, so it cannot
        // make the server do expensive handshakes over and over on one connection (testssl's DoS finding).
        SmtpWire wire;
        if (port == Port.SUBMISSIONS_465) {
            wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS), "TLSv1.2");
            wire.reply();
        } else {
            SmtpWire plain = plain587();
            plain.command("EHLO client.test");
            plain.command("STARTTLS");
            wire = plain.startTls("TLSv1.2");
        }
        try (wire) {
            assertThat(wire.command("EHLO client.test")).startsWith("250-");
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) wire.socket();
            boolean refused;
            try {
                tls.startHandshake();
                // The JDK client sends the new ClientHello lazily; the refusal shows on the next exchange.
                wire.command("NOOP");
                refused = false;
            } catch (IOException e) {
                refused = true;
            }
            assertThat(refused).as("renegotiation must be refused").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Port.class)
    void aTls11OnlyClientIsRefused(Port port) throws Exception {
        // The JDK client will not even offer TLS 1.1; openssl at security level 0 really does.
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + server.port(port == Port.SUBMISSION_587 ? ListenerRole.SUBMISSION
                        : ListenerRole.SUBMISSIONS),
                "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", HOST));
        if (port == Port.SUBMISSION_587) {
            command.addAll(List.of("-starttls", "smtp"));
        }
        ExternalTool.Result result = ExternalTool.run(command, "QUIT\r\n", 30);
        assertThat(result.exitCode()).as(result.output()).isNotZero();
        // The server answers the TLS 1.1 ClientHello with a protocol_version alert (70); nothing is negotiated.
        assertThat(result.output()).contains("alert protocol version", "Cipher is (NONE)");
        assertThat(result.output()).doesNotContain("250 ");
    }

    // ---------------------------------------------------------------- A-21, D-8: Received with ESMTPSA

    @ParameterizedTest
    @EnumSource(Port.class)
    void receivedHeaderRecordsTlsAndTheAuthenticatedIdentity(Port port) throws IOException {
        String subject = "received " + port;
        try (SmtpWire wire = authenticated(port)) {
            assertThat(sendMessage(wire, ALICE, BOB, "From: alice@posthorn.test\r\nSubject: " + subject + "\r\n\r\nx\r\n"))
                    .startsWith("250 2.0.0 Ok: queued as ");
        }
        String stored = awaitMessageWithSubject(BOB, subject);
        String received = stored.substring(stored.indexOf("Received: "), stored.indexOf("Subject: "));
        assertThat(received).contains("with ESMTPSA");
        assertThat(received).contains("version=TLSv1.3 cipher=TLS_");
        assertThat(received).contains("authenticated as " + ALICE);
        assertThat(received).contains("from client.test ([127.0.0.1])");
    }

    static String awaitMessageWithSubject(String mailbox, String subject) throws IOException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            for (Path file : server.messages(mailbox)) {
                String text = Files.readString(file, UTF_8);
                if (text.contains("Subject: " + subject + "\r\n")) {
                    return text;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no message with subject " + subject + " in " + mailbox);
    }

    // ---------------------------------------------------------------- §4 matrix: never 521

    @Test
    void noReplyOfTheCatalogueUses521() throws IOException {
        try (var in = SubmissionConformanceTest.class.getResourceAsStream("/codes/replies.json")) {
            String replies = new String(in.readAllBytes(), UTF_8);
            assertThat(replies).doesNotContain("\"code\": 521");
        }
    }

    static Stream<String> lines(String text) {
        return Arrays.stream(text.split("\r?\n"));
    }
}
