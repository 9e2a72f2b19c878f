package com.example.shop;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;

/**
 * The application's mail code, as an application would write it: a message refused for now (4xx) is kept and
 * tried again later; one refused for good (5xx) is given up and its address marked as bouncing.
 */
public final class Outbox {

    /** A message waiting to go, and when it may be tried again. */
    public record Pending(String to, String subject, String text, Instant notBefore) {
    }

    private final Properties smtp;
    private final Clock clock;
    private final Duration retryAfter;
    private final List<Pending> pending = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> bouncing = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Outbox(Properties smtp, Clock clock, Duration retryAfter) {
        this.smtp = smtp;
        this.clock = clock;
        this.retryAfter = retryAfter;
    }

    public void send(String to, String subject, String text) {
        attempt(new Pending(to, subject, text, clock.instant()));
    }

    /** Tries again every message whose time has come. */
    public void retryDue() {
        List<Pending> due = pending.stream().filter(p -> !clock.instant().isBefore(p.notBefore())).toList();
        pending.removeAll(due);
        due.forEach(this::attempt);
    }

    public List<Pending> pending() {
        return List.copyOf(pending);
    }

    public List<String> bouncing() {
        return List.copyOf(bouncing);
    }

    private void attempt(Pending message) {
        try {
            Session session = Session.getInstance(smtp);
            MimeMessage mime = new MimeMessage(session);
            mime.setFrom(new InternetAddress("shop@shop.example"));
            mime.setRecipients(jakarta.mail.Message.RecipientType.TO, message.to());
            mime.setSubject(message.subject());
            mime.setText(message.text());
            Transport.send(mime);
        } catch (SendFailedException e) {
            if (e.getNextException() instanceof SMTPAddressFailedException refused && refused.getReturnCode() >= 500) {
                bouncing.add(message.to());
            } else {
                pending.add(new Pending(message.to(), message.subject(), message.text(),
                        clock.instant().plus(retryAfter)));
            }
        } catch (MessagingException e) {
            pending.add(new Pending(message.to(), message.subject(), message.text(), clock.instant().plus(retryAfter)));
        }
    }
}
