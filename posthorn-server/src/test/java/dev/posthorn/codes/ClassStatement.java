package dev.posthorn.codes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One row of {@code codes/rfc-class-statements.tsv}: what the RFC defining an enhanced code says about its class,
 * and the basic codes the IANA registry associates with it.
 *
 * @param classes  the classes the RFC allows, or null where it sets no limit
 * @param registry the registry's associated basic codes: "-" for "Not given", "any", "451,550" or "5xx"; "?" where
 *                 the table does not record them
 */
record ClassStatement(String code, Set<Integer> classes, String source, String registry, String says) {

    static List<ClassStatement> read() throws IOException {
        List<ClassStatement> rows = new ArrayList<>();
        for (String[] cols : TsvResource.rows("/codes/rfc-class-statements.tsv")) {
            Set<Integer> classes = cols[1].equals("-") ? null : digits(cols[1].split(","));
            rows.add(new ClassStatement(cols[0], classes, cols[2], cols[3], cols[4]));
        }
        return rows;
    }

    /** The classes of the registry's basic codes: 451 and 550 give 4 and 5; "any" gives 2, 4 and 5. */
    Set<Integer> registryClasses() {
        if (registry.equals("-") || registry.equals("?")) {
            return Set.of();
        }
        if (registry.equals("any")) {
            return Set.of(2, 4, 5);
        }
        return digits(Arrays.stream(registry.split(",")).map(c -> c.substring(0, 1)).toArray(String[]::new));
    }

    private static Set<Integer> digits(String[] values) {
        Set<Integer> out = new TreeSet<>();
        for (String v : values) {
            out.add(Integer.parseInt(v.trim()));
        }
        return out;
    }
}
