package dev.posthorn.probe;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a probe found: the transcript, how far it got and why it stopped.
 *
 * @param accepted       the test message got a 2xx after its final dot (or, without a recipient, every step of
 *                       the capability check succeeded)
 * @param problem        why it stopped, or null when it reached its goal
 * @param failedStep     the step that failed, or null
 * @param failingReply   the reply that refused it, when a reply did
 * @param error          the exception's message for failures without a reply, else null
 * @param tlsFailure     how the handshake failed, for {@link Problem#TLS_HANDSHAKE}
 * @param certificate    what was seen of the certificate, or null when there was no TLS
 * @param tlsProtocol    negotiated protocol and cipher suite ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or null
 * @param capabilities   the EHLO keywords of the last EHLO, upper case ("AUTH PLAIN LOGIN", "STARTTLS")
 * @param tlsOfferedInPlain whether the plain-text EHLO offered STARTTLS
 * @param tlsSecurity    the TLS security level reached and the record that decided it, as outbound delivery
 *                       judges it ("dane (TLSA _25._tcp.mx.example 3 1 1 ab12…)"), or null before any EHLO
 */
public record ProbeResult(ProbeOptions options, List<TranscriptEntry> transcript, boolean accepted,
                          Problem problem, Step failedStep, SmtpReply failingReply, String error,
                          TlsFailure tlsFailure, CertificateReport certificate, String tlsProtocol,
                          Set<String> capabilities, boolean tlsOfferedInPlain, boolean authenticated,
                          dev.posthorn.delivery.security.TlsSecurity tlsSecurity) {

    public ProbeResult {
        transcript = List.copyOf(transcript);
        capabilities = Set.copyOf(capabilities);
    }

    public boolean succeeded() {
        return problem == null && accepted;
    }

    public boolean tlsActive() {
        return tlsProtocol != null;
    }

    public Optional<SmtpReply> reply() {
        return Optional.ofNullable(failingReply);
    }

    /** The reply that accepted the message ("250 2.0.0 Ok: queued as ..."), when there was one. */
    public Optional<SmtpReply> finalReply() {
        for (int i = transcript.size() - 1; i >= 0; i--) {
            if (transcript.get(i) instanceof TranscriptEntry.Received r && r.step() == Step.MESSAGE) {
                return Optional.of(r.reply());
            }
        }
        return Optional.empty();
    }

    /** Whether the last EHLO advertised {@code keyword} ("STARTTLS", "AUTH"). */
    public boolean offers(String keyword) {
        return capabilities.stream().anyMatch(c -> c.equals(keyword) || c.startsWith(keyword + " ")
                || c.startsWith(keyword + "="));
    }

    /** The SASL mechanisms of the last EHLO's AUTH line. */
    public List<String> authMechanisms() {
        return capabilities.stream()
                .filter(c -> c.startsWith("AUTH ") || c.startsWith("AUTH="))
                .flatMap(c -> List.of(c.substring(5).trim().split("\\s+")).stream())
                .filter(s -> !s.isEmpty())
                .distinct()
                .toList();
    }
}
