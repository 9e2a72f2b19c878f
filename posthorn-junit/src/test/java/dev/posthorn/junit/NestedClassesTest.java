package dev.posthorn.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * A static extension in an outer class with a {@code @Nested} class: JUnit calls beforeAll and afterAll again for
 * the nested class. The nested tests share the outer class's server, and once the outer class ends no server it
 * started is left listening (ports, threads and a temp directory leaked before).
 */
class NestedClassesTest {

    static final List<Integer> ports = new CopyOnWriteArrayList<>();

    @Test
    void aNestedClassSharesTheServerAndLeavesNoneRunning() throws Exception {
        ports.clear();
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(Outer.class)).execute()
                .testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        assertThat(ports).hasSize(2);
        assertThat(ports.stream().distinct()).as("servers seen by the outer and the nested test").hasSize(1);
        for (int port : ports.stream().distinct().toList()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                throw new AssertionError("a server still listens on " + port + " after the test class ended "
                        + "(ports seen: " + ports + ")");
            } catch (ConnectException expected) {
                // stopped
            }
        }
    }

    static class Outer {
        @RegisterExtension
        static PosthornExtension shared = PosthornExtension.start();

        @Test
        void outer() {
            ports.add(shared.smtpPort());
        }

        @Nested
        class Inner {
            @Test
            void inner() {
                ports.add(shared.smtpPort());
            }
        }
    }
}
