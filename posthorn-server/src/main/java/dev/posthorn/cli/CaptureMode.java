package dev.posthorn.cli;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.TestMode;
import dev.posthorn.testmode.MailCapture;
import dev.posthorn.testmode.Script;
import dev.posthorn.testmode.ScriptFile;
import dev.posthorn.web.capture.CaptureApi;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;

/** {@code posthorn serve --capture}: the captured mail, the script and the API that shows them, built together. */
record CaptureMode(TestMode testMode, CaptureApi api) {

    /**
     * @throws IllegalArgumentException when the web server or an SMTP listener would listen beyond loopback
     *                                  (captured mail is for the tests on this machine, the capture API has no
     *                                  authentication, and SMTP in capture mode accepts every recipient without
     *                                  sender binding or mail authentication: an open sink on a public address)
     */
    static CaptureMode create(PosthornConfig config, Path scriptFile, boolean toDisk) throws IOException {
        if (config.store.isPostgresql()) {
            // With a shared store each message is a row other nodes may claim and deliver before capture removes it.
            throw new IllegalArgumentException("--capture keeps mail on this machine, and [store] kind = \"postgresql\""
                    + " shares it with other nodes (use the files store: remove [store] for a test server)");
        }
        for (String bind : config.listen.bind) {
            if (!InetAddress.getByName(bind).isLoopbackAddress()) {
                throw new IllegalArgumentException("--capture accepts mail for every recipient, so SMTP only on "
                        + "loopback: [listen] bind = \"" + bind + "\" is not (use 127.0.0.1)");
            }
        }
        if (config.web.port != 0 && !InetAddress.getByName(config.web.bind).isLoopbackAddress()) {
            throw new IllegalArgumentException("--capture serves captured mail without authentication, so only on "
                    + "loopback: [web] bind = \"" + config.web.bind + "\" is not (use 127.0.0.1)");
        }
        String hostname = config.server.hostname.isEmpty() ? "localhost" : config.server.hostname;
        ScriptFile.Document document = scriptFile == null ? new ScriptFile.Document() : ScriptFile.read(scriptFile);
        Script script = new Script(Clock.systemUTC(), hostname, document.triggerDomain);
        try {
            ScriptFile.rules(document).forEach(script::add);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(scriptFile + ": " + e.getMessage(), e);
        }
        script.seal();
        MailCapture capture = new MailCapture(toDisk ? Path.of(config.server.dataDir).resolve("captured") : null);
        return new CaptureMode(new TestMode(script, capture), new CaptureApi(capture, script));
    }
}
