package dev.posthorn.mailauth;

import dev.posthorn.testing.ExternalTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Debian's dkimpy (python3-dkim), driven through src/test/resources/mailauth/dkimpy.py, keys from unbound. */
final class Dkimpy {

    private final int dnsPort;
    private final Path script;

    Dkimpy(int dnsPort, Path dir) throws IOException {
        this.dnsPort = dnsPort;
        this.script = dir.resolve("dkimpy.py");
        try (var in = Dkimpy.class.getResourceAsStream("/mailauth/dkimpy.py")) {
            Files.write(script, in.readAllBytes());
        }
    }

    String run(String message, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), String.valueOf(dnsPort)));
        command.addAll(List.of(args));
        ExternalTool.Result result = ExternalTool.run(command, message, 60);
        if (result.exitCode() != 0) {
            throw new IOException("dkimpy " + args[0] + " failed (apt-get install python3-dkim python3-dnspython "
                    + "python3-nacl python3-authres): " + result.output());
        }
        return result.output();
    }

    /** dkimpy's own byte-exact view of the message: read as ISO-8859-1 so any octet round-trips. */
    static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
