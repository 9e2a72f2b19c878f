package dev.posthorn.junit;

import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

/** How the tests send: plain Jakarta Mail (Angus Mail), as an application does. */
final class Mails {

    private Mails() {
    }

    static MimeMessage message(Session session, String from, String to, String subject, String text)
            throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(from));
        message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
        message.setSubject(subject);
        message.setText(text);
        return message;
    }

    /** Through the MX port, no TLS, no AUTH. */
    static void send(PosthornExtension mail, String from, String to, String subject) throws MessagingException {
        Session session = Session.getInstance(mail.smtpProperties());
        Transport.send(message(session, from, to, subject, "Hello from the application."));
    }

    /**
     * Sends through an explicit Transport and returns what sendMessage threw (null when it went through). After a
     * {@code 421} the server closes the connection, as real servers do (RFC 5321 §3.8); Transport.send would then
     * report the failure of its own QUIT instead of the 421, so tests that look at a 421 send this way.
     */
    static MessagingException sendCatching(PosthornExtension mail, String from, String to, String subject) {
        Session session = Session.getInstance(mail.smtpProperties());
        Transport transport = null;
        try {
            transport = session.getTransport("smtp");
            transport.connect();
            MimeMessage message = message(session, from, to, subject, "Hello from the application.");
            transport.sendMessage(message, message.getAllRecipients());
            return null;
        } catch (MessagingException e) {
            return e;
        } finally {
            try {
                if (transport != null) {
                    transport.close();
                }
            } catch (MessagingException ignored) {
                // the connection was closed by the server after its 421
            }
        }
    }

    static Session submission(PosthornExtension mail, String user, String password) {
        Properties p = mail.submissionProperties();
        return Session.getInstance(p, new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(user, password);
            }
        });
    }
}
