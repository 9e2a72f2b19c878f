package dev.posthorn.web.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.http.pathmap.MatchedResource;
import org.eclipse.jetty.http.pathmap.PathMappings;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;

/**
 * The route table of the one web server: path templates ({@code /{lang}/codes/{code}}, Jetty's URI template
 * path specs) to endpoints per method. Each feature (reference pages, API, later the console) registers its
 * routes here; the most specific template wins, as Jetty orders them.
 */
public final class Routes {

    /** What a path resolved to: the endpoint for the method, or the methods the path does allow. */
    public sealed interface Match permits Found, WrongMethod, NotFound {
    }

    public record Found(Endpoint endpoint, Map<String, String> params) implements Match {
    }

    public record WrongMethod(Set<String> allowed) implements Match {
    }

    public record NotFound() implements Match {
    }

    private final PathMappings<Map<String, Endpoint>> mappings = new PathMappings<>();

    public Routes get(String template, Endpoint endpoint) {
        return add("GET", template, endpoint);
    }

    public Routes add(String method, String template, Endpoint endpoint) {
        UriTemplatePathSpec spec = new UriTemplatePathSpec(template);
        Map<String, Endpoint> byMethod = mappings.get(spec);
        if (byMethod == null) {
            byMethod = new LinkedHashMap<>();
            mappings.put(spec, byMethod);
        }
        if (byMethod.putIfAbsent(method, endpoint) != null) {
            throw new IllegalStateException(method + " " + template + " is registered twice");
        }
        return this;
    }

    /** HEAD is answered by the GET endpoint without its body (RFC 9110 §9.3.2). */
    public Match match(String method, String path) {
        MatchedResource<Map<String, Endpoint>> matched = mappings.getMatched(path);
        if (matched == null) {
            return new NotFound();
        }
        Map<String, Endpoint> byMethod = matched.getResource();
        Endpoint endpoint = byMethod.get("HEAD".equals(method) ? "GET" : method);
        if (endpoint == null) {
            Set<String> allowed = new TreeSet<>(byMethod.keySet());
            if (allowed.contains("GET")) {
                allowed.add("HEAD");
            }
            return new WrongMethod(allowed);
        }
        UriTemplatePathSpec spec = (UriTemplatePathSpec) matched.getPathSpec();
        Map<String, String> params = spec.getPathParams(path);
        return new Found(endpoint, params == null ? Map.of() : params);
    }
}
