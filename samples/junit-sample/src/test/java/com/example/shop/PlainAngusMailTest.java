package com.example.shop;

import static dev.posthorn.junit.PosthornAssertions.assertThat;

import dev.posthorn.junit.PosthornExtension;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scenario 1: plain Angus Mail through the MX port; the mail is captured and asserted on. */
class PlainAngusMailTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start();

    @Test
    void theOrderConfirmationIsSent() throws Exception {
        Session session = Session.getInstance(mail.smtpProperties());
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("shop@shop.example"));
        message.setRecipients(Message.RecipientType.TO, "bob@customer.example");
        message.setSubject("Order 17 confirmed");
        message.setText("Thank you for your order.");
        Transport.send(message);

        assertThat(mail).received(1)
                .from("shop@shop.example")
                .to("bob@customer.example")
                .withSubject("Order 17 confirmed")
                .withTextContaining("Thank you");
    }
}
