package dev.posthorn.codes.providers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A pasted bounce is up to 10,000 characters from anyone on the web: no provider pattern may read such a
 * text more than a few times over (quadratic backtracking is a denial of service). Counted, not timed.
 */
class ProviderPatternCostTest {

    /** Counts the characters a regex reads. */
    private static final class Counting implements CharSequence {
        private final String s;
        long reads;

        Counting(String s) {
            this.s = s;
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public char charAt(int i) {
            reads++;
            return s.charAt(i);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return s.subSequence(start, end);
        }

        @Override
        public String toString() {
            return s;
        }
    }

    private static final List<String> UNITS = List.of("<", "[", " ", "a", "a@", "<a@icloud.com", "'", "-", ".", "dd ");

    @TestFactory
    Stream<DynamicTest> noPatternReadsALongPasteMoreThanAFewTimesOver() {
        return ProviderCatalogue.bundled().providers().stream().flatMap(p -> p.entries().stream())
                .flatMap(e -> e.patterns().stream().map(regex -> DynamicTest.dynamicTest(e.id() + " /" + regex + "/", () -> {
                    Pattern pattern = Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
                    for (String unit : UNITS) {
                        // The entry's own code first, so that recognise() would run the pattern on this text.
                        String prefix = e.reply() + " ";
                        Counting text = new Counting(prefix + unit.repeat((10_000 - prefix.length()) / unit.length()));
                        pattern.matcher(text).find();
                        assertThat(text.reads).as("characters read for 10,000 of '" + unit + "'").isLessThan(100L * 10_000);
                    }
                })));
    }
}
