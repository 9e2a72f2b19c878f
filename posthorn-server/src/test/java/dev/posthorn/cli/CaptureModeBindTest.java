package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.config.PosthornConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --capture turns off sender binding and mail authentication and accepts every recipient: on a public SMTP
 * address that is an open sink. Like the web port, the SMTP listeners are held to loopback.
 */
class CaptureModeBindTest {

    @TempDir
    Path dir;

    private PosthornConfig config(String... binds) {
        PosthornConfig config = new PosthornConfig();
        config.server.dataDir = dir.toString();
        config.listen.bind = List.of(binds);
        config.web.port = 0;
        return config;
    }

    @Test
    void captureRefusesAnSmtpListenerBeyondLoopback() {
        assertThatThrownBy(() -> CaptureMode.create(config("127.0.0.1", "0.0.0.0"), null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--capture accepts mail for every recipient, so SMTP only on loopback: "
                        + "[listen] bind = \"0.0.0.0\" is not (use 127.0.0.1)");
    }

    @Test
    void captureTakesLoopbackListeners() throws Exception {
        assertThat(CaptureMode.create(config("127.0.0.1", "::1"), null, false).testMode().capture()).isNotNull();
    }

    @Test
    void captureRefusesASharedStore() {
        PosthornConfig config = config("127.0.0.1");
        config.store.kind = "postgresql";
        config.store.url = "jdbc:postgresql://127.0.0.1:1/posthorn";
        assertThatThrownBy(() -> CaptureMode.create(config, null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--capture keeps mail on this machine, and [store] kind = \"postgresql\" shares it with other"
                        + " nodes (use the files store: remove [store] for a test server)");
    }
}
