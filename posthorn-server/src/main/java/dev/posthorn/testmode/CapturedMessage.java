package dev.posthorn.testmode;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.dom.TextBody;
import org.apache.james.mime4j.dom.address.Address;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.address.MailboxList;
import org.apache.james.mime4j.dom.field.UnstructuredField;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;

/**
 * One message the server accepted in test mode: its envelope as the client gave it and its content as stored
 * (our Received: field on top), with the header and the MIME parts read on first use (mime4j).
 */
public final class CapturedMessage {

    /** One leaf of the MIME tree: its type, file name (if any) and decoded content. */
    public record Part(String contentType, String filename, byte[] content) {
        /** The content as text, in the part's charset (UTF-8 when it names none). */
        public String text() {
            return new String(content, charsetOf(contentType));
        }
    }

    private final Envelope envelope;
    private final byte[] content;
    private Parsed parsed;

    private record Parsed(List<Field> header, String subject, List<String> from, List<String> to, List<String> cc,
                          List<Part> parts) {
    }

    public CapturedMessage(Envelope envelope, byte[] content) {
        this.envelope = envelope;
        this.content = content.clone();
    }

    /** The queue id the client was told in the {@code 250}. */
    public String id() {
        return envelope.id();
    }

    public Instant receivedAt() {
        return envelope.receivedAt();
    }

    /** The reverse-path of MAIL FROM; "" for the null sender. */
    public String envelopeSender() {
        return envelope.sender();
    }

    /** The forward-paths of the accepted RCPT commands, in order. */
    public List<String> envelopeRecipients() {
        return envelope.recipients().stream().map(EnvelopeRecipient::address).toList();
    }

    /** The user the client authenticated as, or null. */
    public String authenticatedUser() {
        return envelope.authUser();
    }

    public String clientHelo() {
        return envelope.clientHelo();
    }

    public byte[] content() {
        return content.clone();
    }

    public String contentAsString() {
        return new String(content, StandardCharsets.UTF_8);
    }

    /** The decoded Subject:, or null when there is none. */
    public String subject() {
        return parsed().subject();
    }

    /** The addresses of From:. */
    public List<String> from() {
        return parsed().from();
    }

    /** The addresses of To:. */
    public List<String> to() {
        return parsed().to();
    }

    public List<String> cc() {
        return parsed().cc();
    }

    /** Every value of a header field (by name, any case), unfolded, not decoded. */
    public List<String> header(String name) {
        return parsed().header().stream().filter(f -> f.getName().equalsIgnoreCase(name)).map(Field::getBody)
                .map(v -> v.replaceAll("\r?\n[ \t]", " ").strip()).toList();
    }

    /** The leaves of the MIME tree in order (a single-part message has one). */
    public List<Part> parts() {
        return parsed().parts();
    }

    /** The first text/plain part's text (without the final line break), or null. */
    public String text() {
        return firstText("text/plain");
    }

    /** The first text/html part's text, or null. */
    public String html() {
        return firstText("text/html");
    }

    /** Parts with a file name (attachments). */
    public List<Part> attachments() {
        return parts().stream().filter(p -> p.filename() != null).toList();
    }

    /**
     * Without the line break that ends every message on the wire (RFC 5321 §4.1.1.4: the CRLF before the final
     * dot), so a text set as "Hi" reads "Hi".
     */
    private String firstText(String type) {
        return parts().stream().filter(p -> p.filename() == null
                        && p.contentType().toLowerCase(Locale.ROOT).startsWith(type))
                .findFirst().map(Part::text).map(t -> t.endsWith("\r\n") ? t.substring(0, t.length() - 2) : t)
                .orElse(null);
    }

    /** One line for failure messages: id, envelope and subject. */
    public String summary() {
        return id() + " from <" + envelopeSender() + "> to " + envelopeRecipients().stream().map(r -> "<" + r + ">")
                .toList() + ", Subject: " + (subject() == null ? "(none)" : "\"" + subject() + "\"");
    }

    @Override
    public String toString() {
        return summary();
    }

    private synchronized Parsed parsed() {
        if (parsed == null) {
            parsed = parse();
        }
        return parsed;
    }

    private Parsed parse() {
        DefaultMessageBuilder builder = new DefaultMessageBuilder();
        builder.setMimeEntityConfig(MimeConfig.PERMISSIVE);
        try (InputStream in = new ByteArrayInputStream(content)) {
            Message message = builder.parseMessage(in);
            List<Part> parts = new ArrayList<>();
            collect(message, parts);
            return new Parsed(List.copyOf(message.getHeader().getFields()), subjectOf(message),
                    mailboxes(message.getFrom()), addresses(message.getTo()), addresses(message.getCc()),
                    List.copyOf(parts));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String subjectOf(Message message) {
        Field field = message.getHeader().getField("Subject");
        return field instanceof UnstructuredField u ? u.getValue() : field == null ? null : field.getBody();
    }

    private static void collect(Entity entity, List<Part> parts) throws IOException {
        Body body = entity.getBody();
        if (body instanceof Multipart multipart) {
            for (Entity child : multipart.getBodyParts()) {
                collect(child, parts);
            }
            return;
        }
        if (body instanceof Message nested) {
            collect(nested, parts);
            return;
        }
        byte[] bytes;
        if (body instanceof TextBody text) {
            try (InputStream in = text.getInputStream()) {
                bytes = in.readAllBytes();
            }
        } else if (body instanceof SingleBody single) {
            try (InputStream in = single.getInputStream()) {
                bytes = in.readAllBytes();
            }
        } else {
            bytes = new byte[0];
        }
        String type = entity.getMimeType() + (entity.getCharset() == null ? "" : "; charset=" + entity.getCharset());
        parts.add(new Part(type, entity.getFilename(), bytes));
    }

    private static List<String> mailboxes(MailboxList list) {
        return list == null ? List.of() : list.stream().map(Mailbox::getAddress).toList();
    }

    private static List<String> addresses(AddressList list) {
        if (list == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Address address : list) {
            if (address instanceof Mailbox m) {
                out.add(m.getAddress());
            } else if (address instanceof org.apache.james.mime4j.dom.address.Group g) {
                g.getMailboxes().forEach(m -> out.add(m.getAddress()));
            }
        }
        return out;
    }

    private static java.nio.charset.Charset charsetOf(String contentType) {
        int at = contentType.toLowerCase(Locale.ROOT).indexOf("charset=");
        if (at >= 0) {
            try {
                return java.nio.charset.Charset.forName(contentType.substring(at + 8).replace("\"", "").strip());
            } catch (IllegalArgumentException e) {
                return StandardCharsets.UTF_8;
            }
        }
        return StandardCharsets.UTF_8;
    }
}
