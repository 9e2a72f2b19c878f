package dev.posthorn.delivery.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The configuration's LMTP endpoints: what parses, to what, and the message a bad one gets. */
class LmtpEndpointTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            lmtp:unix:/run/dovecot/lmtp | /run/dovecot/lmtp
            lmtp:unix:/var/spool/postfix/private/dovecot-lmtp | /var/spool/postfix/private/dovecot-lmtp
            """)
    void unixSocketsParse(String value, String path) {
        assertThat(LmtpEndpoint.parse(value)).isEqualTo(new LmtpEndpoint.Unix(Path.of(path)));
        assertThat(LmtpEndpoint.parse(value)).hasToString(value);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            lmtp:127.0.0.1:24          | 127.0.0.1       | 24
            lmtp:mail.example.com:2424 | mail.example.com | 2424
            lmtp:[::1]:24              | ::1             | 24
            lmtp:[2001:db8::5]:65535   | 2001:db8::5     | 65535
            """)
    void tcpEndpointsParse(String value, String host, int port) {
        assertThat(LmtpEndpoint.parse(value)).isEqualTo(new LmtpEndpoint.Tcp(host, port));
        assertThat(LmtpEndpoint.parse(value)).hasToString(value);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            maildir                 | it must be lmtp:unix:/path for a Unix socket or lmtp:HOST:PORT for TCP
            unix:/run/dovecot/lmtp  | it must be lmtp:unix:/path for a Unix socket or lmtp:HOST:PORT for TCP
            lmtp:unix:              | a Unix socket needs an absolute path, as in lmtp:unix:/run/dovecot/lmtp
            lmtp:unix:run/lmtp      | a Unix socket needs an absolute path, as in lmtp:unix:/run/dovecot/lmtp
            lmtp:127.0.0.1          | it needs a port (LMTP has no default one), as in lmtp:127.0.0.1:24
            lmtp:                   | it needs a port (LMTP has no default one), as in lmtp:127.0.0.1:24
            lmtp::24                | it needs a host before the port, as in lmtp:127.0.0.1:24
            lmtp:127.0.0.1:lmtp     | the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24
            lmtp:127.0.0.1:0        | the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24
            lmtp:127.0.0.1:65536    | the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24
            lmtp:127.0.0.1:         | the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24
            lmtp:::1:24             | an IPv6 address goes in brackets, as in lmtp:[::1]:24
            lmtp:[::1]24            | an IPv6 address goes in brackets followed by the port, as in lmtp:[::1]:24
            lmtp:[::1               | an IPv6 address goes in brackets followed by the port, as in lmtp:[::1]:24
            """)
    void badFormsSayWhatIsWrongAndShowTheRightOne(String value, String why) {
        assertThatThrownBy(() -> LmtpEndpoint.parse(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bad LMTP endpoint \"" + value + "\": " + why);
    }
}
