package dev.posthorn.web.http;

import java.util.List;
import java.util.Map;

/**
 * A request as endpoints see it: no Jetty types, so pages and API can be tested and described without it.
 *
 * @param path    the decoded path ("/en/codes/530")
 * @param params  the path template's variables ({@code {code}} → "530")
 * @param query   the first value of each query parameter
 * @param baseUrl scheme and authority for absolute links ("http://127.0.0.1:8025"), no trailing slash
 * @param form    the fields of an {@code application/x-www-form-urlencoded} body (POST), every value of each
 * @param client  the address the request came from (the TCP peer: no proxy header is believed)
 * @param secure  whether it came over HTTPS
 * @param json    the body of an {@code application/json} request (the admin API), "" otherwise
 */
public record WebRequest(String method, String path, Map<String, String> params, Map<String, String> query,
                         Map<String, String> headers, String baseUrl, Map<String, List<String>> form, String client,
                         boolean secure, String json) {

    public WebRequest {
        params = Map.copyOf(params);
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        form = form == null ? Map.of() : Map.copyOf(form);
        client = client == null ? "" : client;
        json = json == null ? "" : json;
    }

    /** A request without a body, from nowhere in particular (tests of pages). */
    public WebRequest(String method, String path, Map<String, String> params, Map<String, String> query,
                      Map<String, String> headers, String baseUrl) {
        this(method, path, params, query, headers, baseUrl, Map.of(), "", false, "");
    }

    /** The first value of a form field, or null. */
    public String field(String name) {
        List<String> values = form.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of a form field (checkboxes), possibly none. */
    public List<String> fields(String name) {
        return form.getOrDefault(name, List.of());
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
        return new WebRequest(method, path, newParams, query, headers, baseUrl, form, client, secure, json);
    }
}
