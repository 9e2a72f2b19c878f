package dev.posthorn.web.ops;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.testing.ExternalTool;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A scrape read by the Prometheus project's own parser of the text format (Debian's python3-prometheus-client,
 * {@code text_string_to_metric_families}): output it cannot parse fails the test, and the samples it finds are
 * what a Prometheus server would store.
 */
final class PrometheusText {

    /** One sample: its full name (with _total, _bucket, ...), its labels and its value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final String PARSER = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """;

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    /** Debian's python3 (/usr/bin/python3), where apt installs the parser, whatever python3 comes first on PATH. */
    static PrometheusText parse(String exposition) throws IOException, InterruptedException {
        ExternalTool.Result result = ExternalTool.run(List.of("/usr/bin/python3", "-c", PARSER), exposition, 30);
        if (result.exitCode() != 0) {
            throw new AssertionError("the Prometheus text-format parser refused the scrape: " + result.output()
                    + "\n--- scrape ---\n" + exposition);
        }
        // A gauge whose object was collected reads NaN: parse it, then refuse it, rather than fail on the JSON.
        JsonNode all = new ObjectMapper().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature())
                .readTree(result.output());
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new TreeMap<>();
        for (JsonNode s : all) {
            Map<String, String> labels = new TreeMap<>();
            s.get("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            if (Double.isNaN(s.get("value").asDouble())) {
                throw new AssertionError("sample " + s.get("name").asText() + s.get("labels") + " is NaN");
            }
            samples.add(new Sample(s.get("name").asText(), labels, s.get("value").asDouble()));
            types.put(s.get("family").asText(), s.get("type").asText());
        }
        return new PrometheusText(samples, types);
    }

    /** The sum of the samples of this name whose labels include {@code labels} (0 when none: not yet counted). */
    double sum(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name))
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }

    List<Sample> named(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The family's type as the parser read it from its # TYPE line ("counter", "gauge", "histogram"). */
    String type(String family) {
        return types.get(family);
    }
}
