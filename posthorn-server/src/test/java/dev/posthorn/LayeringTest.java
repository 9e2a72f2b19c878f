package dev.posthorn;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages follow the mail's way through the server (docs/architecture.md): a package may use the ones after
 * it in {@link #FLOW} and the shared leaves, never one before it. A newcomer reads the flow from the folder
 * names; this test keeps the names honest when a convenient import would cross the line upwards.
 */
class LayeringTest {

    /** From the outside in: each layer may depend on the layers below it, never above. */
    private static final List<String[]> FLOW = List.of(
            new String[] {"dev.posthorn.cli.."},
            new String[] {"dev.posthorn.server..", "dev.posthorn.config..", "dev.posthorn.web..", "dev.posthorn.probe..",
                "dev.posthorn.testmode.."},
            new String[] {"dev.posthorn.smtp.listener..", "dev.posthorn.smtp.session.."},
            new String[] {"dev.posthorn.smtp.protocol.."},
            new String[] {"dev.posthorn.policy..", "dev.posthorn.auth..", "dev.posthorn.mailauth.."},
            new String[] {"dev.posthorn.spool..", "dev.posthorn.queue.."},
            new String[] {"dev.posthorn.delivery.."},
            new String[] {"dev.posthorn.store.."});

    /**
     * Used everywhere and using none of the flow: the catalogue of replies, TLS material, the version, and the
     * metrics every layer reports to.
     */
    private static final String[] LEAVES = {"dev.posthorn.codes..", "dev.posthorn.tls..", "dev.posthorn.metrics.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importMain() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.posthorn");
    }

    @Test
    void noLayerUsesOneAboveIt() {
        List<String> violations = new ArrayList<>();
        for (int i = 1; i < FLOW.size(); i++) {
            List<String> above = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                above.addAll(List.of(FLOW.get(j)));
            }
            noClasses().that().resideInAnyPackage(FLOW.get(i))
                    .should().dependOnClassesThat().resideInAnyPackage(above.toArray(String[]::new))
                    .because("a package may use only the ones after it on the mail's way (docs/architecture.md)")
                    .evaluate(classes).getFailureReport().getDetails().forEach(violations::add);
        }
        assertThat(violations).as("imports against the flow").isEmpty();
    }

    @Test
    void leavesUseNothingOfTheFlow() {
        List<String> flow = new ArrayList<>();
        FLOW.forEach(layer -> flow.addAll(List.of(layer)));
        noClasses().that().resideInAnyPackage(LEAVES)
                .should().dependOnClassesThat().resideInAnyPackage(flow.toArray(String[]::new))
                .because("the catalogue and TLS material are shared by every layer")
                .check(classes);
    }
}
