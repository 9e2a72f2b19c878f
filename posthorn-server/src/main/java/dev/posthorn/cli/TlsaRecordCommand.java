package dev.posthorn.cli;

import dev.posthorn.delivery.security.HostnameMatch;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn tlsa-record CERT.pem}: the DANE-EE TLSA record ("3 1 1": SHA-256 of the public key, RFC 7671
 * §5.1) to publish for this server's certificate, so that DANE senders can authenticate it (RFC 7672).
 */
@Command(name = "tlsa-record", mixinStandardHelpOptions = true,
        description = "Print the TLSA record (3 1 1) to publish for a PEM certificate, for DANE (RFC 7672).")
final class TlsaRecordCommand implements Callable<Integer> {

    @Parameters(paramLabel = "CERT", description = "PEM file whose first certificate is the server's (e.g. fullchain.pem)")
    Path certificate;

    @Option(names = "--host", paramLabel = "NAME", description = "the MX host name (default: the certificate's first DNS name)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "25", description = "the port (default: ${DEFAULT-VALUE})")
    int port;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(certificate)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (java.io.IOException | java.security.cert.CertificateException e) {
            throw new ParameterException(spec.commandLine(), "cannot read a certificate from " + certificate + ": "
                    + e.getMessage());
        }
        List<String> names = HostnameMatch.names(cert);
        String name = host != null ? host : names.stream().filter(n -> !n.startsWith("*") && !HostnameMatch.isIpLiteral(n))
                .findFirst().orElseThrow(() -> new ParameterException(spec.commandLine(),
                        "the certificate names no host; give --host"));
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded()));
        spec.commandLine().getOut().println("_" + port + "._tcp." + name + ". IN TLSA 3 1 1 " + hash);
        return 0;
    }
}
