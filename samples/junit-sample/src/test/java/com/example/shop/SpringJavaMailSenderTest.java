package com.example.shop;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.junit.PosthornExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.mail.javamail.JavaMailSenderImpl;

/**
 * Scenario 2: Spring's JavaMailSender on the submission port, with STARTTLS (the server's generated certificate
 * trusted through the extension's SSLContext) and AUTH as a user created in code.
 */
class SpringJavaMailSenderTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start()
            .withSubmission()
            .withUser("shop@shop.example", "app-password");

    @Test
    void theWelcomeMailGoesOutAuthenticatedOverTls() {
        JavaMailSenderImpl sender = new JavaMailSenderImpl();
        sender.setJavaMailProperties(mail.submissionProperties());
        sender.setHost(mail.host());
        sender.setPort(mail.submissionPort());
        sender.setUsername("shop@shop.example");
        sender.setPassword("app-password");

        new WelcomeMails(sender).welcome("carol@customer.example", "Carol");

        var welcome = assertThat(mail).received(1).to("carol@customer.example").withSubject("Welcome, Carol").message();
        assertThat(welcome.authenticatedUser()).isEqualTo("shop@shop.example");
        assertThat(welcome.header("Received").get(0)).contains("with ESMTPSA"); // TLS and AUTH (RFC 3848)
    }
}
