package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pages users get, compared whole with reviewed files under src/test/resources/golden/. After an
 * intended change, regenerate with {@code ./mvnw test -Dtest=GoldenPagesTest -Dgolden.update=true},
 * read the diff, and commit it.
 */
class GoldenPagesTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "compare-220-530.en.txt, compare 220 530",
        "compare-220-530.tr.txt, compare 220 530 --lang tr",
        "explain-530.txt,        explain 530",
        "explain-530.md,         explain 530 --format markdown",
        "explain-530.json,       explain 530 --format json",
        "explain-530.html,       explain 530 --format html",
    })
    void pageMatchesGolden(String file, String command) throws IOException {
        CliRun run = CliRun.of(command.split(" "));
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        Path golden = GOLDEN.resolve(file);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, run.out(), StandardCharsets.UTF_8);
        }
        assertThat(run.out()).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }
}
