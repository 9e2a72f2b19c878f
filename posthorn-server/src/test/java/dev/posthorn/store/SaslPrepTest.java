package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * SCRAM's Normalize() is SASLprep (RFC 4013), not NFKC alone: RFC 4013 §3's examples, and the SCRAM keys of
 * passwords that differ only in what SASLprep maps away. NFKC keeps a soft hyphen and would derive other keys
 * than a client that prepares the password as the RFC says.
 */
class SaslPrepTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        soft hyphen mapped to nothing (RFC 4013 §3 #1)   | I\\u00ADX | IX
        no transformation (#2)                          | user      | user
        case preserved (#3)                             | USER      | USER
        NFKC: feminine ordinal (#4)                     | \\u00AA    | a
        NFKC: roman numeral nine (#5)                   | \\u2168    | IX
        non-ASCII space mapped to SPACE (§2.1)          | a\\u2003b  | a b
        zero width space mapped to nothing (§2.2)       | a\\u200Bb  | ab
        """)
    void preparesAsRfc4013Says(String example, String input, String prepared) {
        assertThat(new String(ScramCredentials.saslPrep(unescape(input).toCharArray()))).isEqualTo(unescape(prepared));
    }

    @Test
    void passwordsThatPrepareAlikeDeriveTheSameScramKeys() {
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        ScramCredentials plain = ScramCredentials.derive("IX".toCharArray(), salt, 4096);
        assertThat(ScramCredentials.derive("I\u00ADX".toCharArray(), salt, 4096)).isEqualTo(plain);
        assertThat(ScramCredentials.derive("\u2168".toCharArray(), salt, 4096)).isEqualTo(plain);
        assertThat(ScramCredentials.derive("IY".toCharArray(), salt, 4096)).isNotEqualTo(plain);
    }

    @Test
    void aPasswordSaslPrepRefusesIsUsedAsItIs() {
        // RFC 4013 §5 #6: a control character is prohibited. PLAIN still works for it; SCRAM keys stay defined.
        char[] withControl = "pass\u0007word".toCharArray();
        assertThat(ScramCredentials.saslPrep(withControl)).isEqualTo(withControl);
    }

    private static String unescape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            if (text.startsWith("\\u", i)) {
                out.append((char) Integer.parseInt(text.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                out.append(text.charAt(i));
            }
        }
        return out.toString();
    }
}
