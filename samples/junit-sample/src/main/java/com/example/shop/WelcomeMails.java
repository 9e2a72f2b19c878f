package com.example.shop;

import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** Application code on Spring's JavaMailSender. */
public final class WelcomeMails {

    private final JavaMailSender sender;

    public WelcomeMails(JavaMailSender sender) {
        this.sender = sender;
    }

    public void welcome(String address, String name) {
        SimpleMailMessage message = new SimpleMailMessage();
        message.setFrom("welcome@shop.example");
        message.setTo(address);
        message.setSubject("Welcome, " + name);
        message.setText("Hello " + name + ", your account is ready.");
        sender.send(message);
    }
}
