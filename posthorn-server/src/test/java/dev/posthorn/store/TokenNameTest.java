package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A token's name is shown in listings and the web page: it must read as what it is. */
class TokenNameTest {

    @Test
    void namesWithLineSeparatorsOrBidiControlsAreRefused() {
        for (String name : new String[] {"ci\u2028deploy", "ci\u2029x", "abc\u202Efed", "a\u202Ab", "x\u2066y\u2069",
                "p\u2067q", "r\u2068s"}) {
            assertThatThrownBy(() -> TokenSecrets.checkName(name)).as(name)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("token name: no line separators or bidirectional controls");
        }
        assertThat(TokenSecrets.checkName(" backup script ")).isEqualTo("backup script");
        assertThat(TokenSecrets.checkName("Yedekleme betiği")).isEqualTo("Yedekleme betiği");
    }
}
