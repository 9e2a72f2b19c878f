package dev.posthorn.junit;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** On an instance field, each test has its own server (its own ports) and so its own mailbox. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleTest {

    static final Set<Integer> PORTS = new HashSet<>();

    @RegisterExtension
    PosthornExtension mail = PosthornExtension.start();

    @Test
    @Order(1)
    void first() throws Exception {
        PORTS.add(mail.smtpPort());
        Mails.send(mail, "shop@shop.test", "bob@here.test", "first");
        assertThat(mail).received(1).withSubject("first");
    }

    @Test
    @Order(2)
    void second() throws Exception {
        PORTS.add(mail.smtpPort());
        assertThat(PORTS).hasSize(2); // a new server, not the first test's
        assertThat(mail).receivedNothing();
    }
}
