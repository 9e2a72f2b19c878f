package dev.posthorn.web.http;

import java.util.Map;

/**
 * A request as endpoints see it: no Jetty types, so pages and API can be tested and described without it.
 *
 * @param path    the decoded path ("/en/codes/530")
 * @param params  the path template's variables ({@code {code}} → "530")
 * @param query   the first value of each query parameter
 * @param baseUrl scheme and authority for absolute links ("http://127.0.0.1:8025"), no trailing slash
 */
public record WebRequest(String method, String path, Map<String, String> params, Map<String, String> query,
                         Map<String, String> headers, String baseUrl) {

    public WebRequest {
        params = Map.copyOf(params);
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
    }

    public String param(String name) {
        return params.get(name);
    }

    /** A query parameter, or null. */
    public String query(String name) {
        return query.get(name);
    }

    /** A request header by its lower-case name, or null. */
    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    public WebRequest withParams(Map<String, String> newParams) {
        return new WebRequest(method, path, newParams, query, headers, baseUrl);
    }
}
