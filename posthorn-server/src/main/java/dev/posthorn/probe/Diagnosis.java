package dev.posthorn.probe;

import dev.posthorn.codes.LanguagePack;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plain-language conclusions about a whole probe run: what went wrong (or that all went well), why that
 * probably is, and what to do. Every sentence is a template {@code probe.diag.*} of the language file, so a
 * new language is a new file, not new code.
 *
 * @param conclusion the main finding, one or more sentences
 * @param notes      further observations (an unchecked certificate a real client would refuse, ...)
 */
public record Diagnosis(String conclusion, List<String> notes) {

    public Diagnosis {
        notes = List.copyOf(notes);
    }

    /** The conclusion and the notes, in order. */
    public List<String> sentences() {
        List<String> all = new ArrayList<>();
        all.add(conclusion);
        all.addAll(notes);
        return all;
    }

    public static Diagnosis of(ProbeResult result, LanguagePack language) {
        return new Builder(result, language).build();
    }

    private static final class Builder {
        private final ProbeResult r;
        private final LanguagePack lang;
        private final ProbeOptions o;
        private final List<String> main = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        Builder(ProbeResult r, LanguagePack lang) {
            this.r = r;
            this.lang = lang;
            this.o = r.options();
        }

        Diagnosis build() {
            if (r.problem() == null) {
                success();
            } else {
                failure();
            }
            CertificateReport cert = r.certificate();
            if (o.insecure() && cert != null && (!cert.trusted() || !cert.matchesHost())) {
                notes.add(say("insecureNote", "problems", certificateProblems(cert)));
            }
            return new Diagnosis(String.join(" ", main), notes);
        }

        private void success() {
            if (o.to() != null) {
                main.add(say("accepted", "reply", r.finalReply().map(SmtpReply::firstLine).orElse("250")));
            } else {
                List<String> steps = new ArrayList<>();
                steps.add(lang.phrase("probe.step.greeting"));
                steps.add("EHLO");
                if (r.tlsActive()) {
                    steps.add(o.security() == Security.STARTTLS ? "STARTTLS" : "TLS");
                }
                if (r.authenticated()) {
                    steps.add("AUTH");
                }
                main.add(say("checkPassed", "steps", String.join(", ", steps)));
            }
            if (o.security() == Security.NONE && r.tlsOfferedInPlain()) {
                notes.add(say("starttlsAvailable"));
            }
        }

        private void failure() {
            switch (r.problem()) {
                case DNS_FAILURE -> main.add(say("dnsFailure"));
                case DNS_TIMEOUT -> main.add(say("dnsTimeout", "duration", duration(o.connectTimeout())));
                case CONNECTION_REFUSED -> main.add(say("refused"));
                case CONNECT_TIMEOUT -> main.add(say("connectTimeout", "duration", duration(o.connectTimeout())));
                case CONNECT_FAILED -> main.add(say("connectFailed", "error", r.error()));
                case REPLY_TIMEOUT -> timeout();
                case CONNECTION_CLOSED -> main.add(r.failedStep() == Step.GREETING ? say("closedAtGreeting")
                        : say("closed", "command", command(r.failedStep())));
                case NOT_SMTP -> main.add(say(o.security() == Security.NONE ? "notSmtpPlain" : "notSmtp",
                        "line", r.error()));
                case STARTTLS_NOT_OFFERED -> main.add(say("starttlsNotOffered"));
                case TLS_HANDSHAKE -> tls();
                case TLS_POLICY -> main.add(say("tlsPolicy", "error", r.error()));
                case AUTH_NOT_OFFERED -> main.add(say(r.tlsActive() ? "authNotOffered"
                        : r.tlsOfferedInPlain() ? "authNotOfferedUseStarttls" : "authNotOfferedPlain"));
                case AUTH_NOT_ENCRYPTED -> main.add(say(r.tlsOfferedInPlain()
                        ? "authNotEncryptedUseStarttls" : "authNotEncrypted"));
                case AUTH_NO_MECHANISM -> main.add(say("authNoMechanism",
                        "mechanisms", String.join(" ", r.authMechanisms())));
                case REFUSED -> refused(r.failedStep(), r.failingReply());
                case IO_ERROR -> main.add(say("ioError", "command", command(r.failedStep()), "error", r.error()));
            }
        }

        private void timeout() {
            String duration = duration(o.replyTimeout());
            switch (r.failedStep()) {
                case GREETING -> main.add(say(o.security() == Security.NONE ? "noGreetingPlain" : "noGreeting",
                        "duration", duration));
                case TLS -> main.add(say(o.security() == Security.IMPLICIT_TLS ? "tlsTimeoutImplicit" : "tlsTimeout",
                        "duration", duration));
                case MESSAGE -> main.add(say("messageTimeout", "duration", duration));
                default -> main.add(say("replyTimeout", "command", command(r.failedStep()), "duration", duration));
            }
        }

        private void tls() {
            CertificateReport cert = r.certificate();
            switch (r.tlsFailure()) {
                case CERTIFICATE_UNTRUSTED -> {
                    main.add(cert == null ? say("tlsUntrustedUnknown", "error", r.error())
                            : say("tlsUntrusted", "problems", certificateProblems(cert)));
                    main.add(say("tlsInsecureHint"));
                }
                case HOSTNAME_MISMATCH -> {
                    main.add(say("tlsMismatch", "names", cert == null ? "?" : String.join(", ", cert.names())));
                    main.add(say("tlsInsecureHint"));
                }
                case PROTOCOL_VERSION -> main.add(say("tlsProtocol", "error", r.error()));
                case NOT_TLS -> main.add(say("tlsNotTls"));
                case OTHER -> main.add(say("tlsFailed", "error", r.error()));
            }
        }

        private void refused(Step step, SmtpReply reply) {
            String text = reply.allText().toLowerCase(Locale.ROOT);
            String enhanced = reply.enhanced() == null ? "" : reply.enhanced();
            int code = reply.code();
            if (code == 421) {
                main.add(say("serviceClosing", "command", command(step), "reply", reply.firstLine()));
            } else if (step == Step.GREETING) {
                main.add(say(reply.isTransient() ? "greetingTemporary" : "greetingRefused",
                        "reply", reply.firstLine()));
            } else if (step == Step.EHLO) {
                main.add(say("ehloRefused", "reply", reply.firstLine()));
            } else if (step == Step.STARTTLS) {
                main.add(say("starttlsRefused", "reply", reply.firstLine()));
            } else if (step == Step.AUTH) {
                auth(reply, code, enhanced);
            } else if (code == 530) {
                boolean tlsMissing = !r.tlsActive() && (r.tlsOfferedInPlain() || text.contains("tls"));
                main.add(say(tlsMissing ? "tlsRequired" : "authRequired", "command", command(step),
                        "reply", reply.firstLine()));
            } else if (code == 552 || enhanced.equals("5.3.4") || enhanced.equals("5.2.3")) {
                main.add(say("tooBig", "reply", reply.firstLine()));
            } else if (reply.isTransient()) {
                main.add(say(step == Step.MESSAGE ? "messageTemporary" : "temporary", "command", command(step),
                        "reply", reply.firstLine()));
            } else if (step == Step.MAIL) {
                boolean notOwned = r.authenticated() && (enhanced.equals("5.7.1") || code == 553);
                main.add(say(notOwned ? "senderNotOwned" : "senderRefused", "reply", reply.firstLine()));
            } else if (step == Step.RCPT) {
                if (enhanced.equals("5.7.1") || text.contains("relay")) {
                    main.add(say(r.authenticated() ? "relayDeniedAuthenticated" : "relayDenied",
                            "reply", reply.firstLine()));
                } else if (enhanced.equals("5.1.1") || text.contains("unknown") || text.contains("no such")
                        || text.contains("does not exist")) {
                    main.add(say("unknownUser", "reply", reply.firstLine()));
                } else {
                    main.add(say("recipientRefused", "reply", reply.firstLine()));
                }
            } else if (step == Step.DATA) {
                main.add(say("dataRefused", "reply", reply.firstLine()));
            } else if (step == Step.MESSAGE && enhanced.startsWith("5.7.")) {
                main.add(say("messagePolicy", "reply", reply.firstLine()));
            } else {
                main.add(say("messageRefused", "reply", reply.firstLine()));
            }
            String codes = reply.enhanced() == null ? String.valueOf(code) : code + " " + reply.enhanced();
            main.add(say("explainHint", "code", codes));
        }

        private void auth(SmtpReply reply, int code, String enhanced) {
            String first = reply.firstLine();
            if (code == 535 || enhanced.equals("5.7.8")) {
                main.add(say("authBadCredentials", "reply", first));
            } else if (code == 534 || enhanced.equals("5.7.9")) {
                main.add(say("authTooWeak", "reply", first));
            } else if (code == 538 || enhanced.equals("5.7.11")) {
                main.add(say("authNeedsEncryption", "reply", first));
            } else if (reply.isTransient()) {
                main.add(say("authTemporary", "reply", first));
            } else {
                main.add(say("authFailed", "reply", first));
            }
        }

        /** "it is self-signed and it is made out for mx.example, not for 127.0.0.1", in the language. */
        private String certificateProblems(CertificateReport cert) {
            List<String> problems = new ArrayList<>();
            if (cert.trustProblem() != null) {
                problems.add(switch (cert.trustProblem()) {
                    case SELF_SIGNED -> say("cert.selfSigned");
                    case UNKNOWN_ISSUER -> say("cert.unknownIssuer", "issuer", cert.issuer());
                    case EXPIRED -> say("cert.expired", "date", date(cert.notAfter()));
                    case NOT_YET_VALID -> say("cert.notYetValid", "date", date(cert.notBefore()));
                    case OTHER -> say("cert.other", "detail", String.valueOf(cert.trustDetail()));
                });
            }
            if (!cert.matchesHost()) {
                problems.add(say("cert.mismatch", "names", String.join(", ", cert.names())));
            }
            return String.join(lang.phrase("probe.join.and"), problems);
        }

        /** A template {@code probe.diag.<key>} (or {@code probe.<key>} for fragments) with the run's values. */
        private String say(String key, String... pairs) {
            Map<String, String> values = new HashMap<>();
            values.put("host", o.host());
            values.put("port", String.valueOf(o.port()));
            values.put("address", o.address());
            values.put("from", o.sender());
            values.put("to", o.to() == null ? "" : o.to());
            values.put("user", o.user() == null ? "" : o.user());
            for (int i = 0; i + 1 < pairs.length; i += 2) {
                values.put(pairs[i], pairs[i + 1] == null ? "" : pairs[i + 1]);
            }
            String full = key.startsWith("cert.") ? "probe." + key : "probe.diag." + key;
            return lang.fill(full, values);
        }

        private static String command(Step step) {
            return step == null ? "?" : step.command();
        }

        private static String date(java.time.Instant instant) {
            return instant.atOffset(ZoneOffset.UTC).toLocalDate().toString();
        }

        private String duration(java.time.Duration d) {
            return TranscriptPrinter.duration(lang, d.toMillis());
        }
    }
}
