package dev.posthorn.testing;

import dev.posthorn.config.PosthornConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Configurations the tests start servers with. */
public final class TestConfigs {

    private TestConfigs() {
    }

    /**
     * mx.posthorn.test hosting posthorn.test, data under {@code dataDir}, every listener on a free loopback port
     * (port 0): tests add what they are about.
     */
    public static PosthornConfig onFreePorts(Path dataDir) {
        PosthornConfig c = new PosthornConfig();
        c.server.hostname = "mx.posthorn.test";
        c.server.dataDir = dataDir.toString();
        c.server.domains = new ArrayList<>(List.of("posthorn.test"));
        c.listen.mxPort = 0;
        c.listen.submissionPort = 0;
        c.listen.smtpsPort = 0;
        return c;
    }
}
