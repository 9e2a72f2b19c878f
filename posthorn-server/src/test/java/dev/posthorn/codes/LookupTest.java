package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LookupTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "530|530|-",
        "5.7.0|-|5.7.0",
        "530 5.7.0 Authentication required|530|5.7.0",
        "530-5.7.0 Authentication required|530|5.7.0",
        "  550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown  |550|5.1.1",
        "host mx.example.com[203.0.113.5] said: 550 5.7.1 <a@example.org>: Relaying denied (in reply to RCPT TO command)|550|5.7.1",
        "Diagnostic-Code: smtp; 552-5.2.2 The email account that you tried to reach is over quota|552|5.2.2",
        "220 mx.example.com ESMTP Postfix|220|-",
        "Status: 4.4.7|-|4.4.7",
        "421 mx.example.com Service not available|421|-",
        "hello there|-|-",
    })
    void findsTheCodesInWhatUsersPaste(String input, String basic, String enhanced) {
        Lookup lookup = Lookup.parse(input);
        assertThat(lookup.basic()).isEqualTo(basic);
        assertThat(lookup.enhanced()).isEqualTo(enhanced);
    }

    @ParameterizedTest
    @CsvSource({"530 4.7.0 Try again, true", "530 5.7.0 Authentication required, false", "5.7.0, false"})
    void noticesWhenTheClassesOfALineDisagree(String input, boolean disagree) {
        assertThat(Lookup.parse(input).classesDisagree()).isEqualTo(disagree);
    }
}
