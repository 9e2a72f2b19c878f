package dev.posthorn.web.assets;

import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stylesheet and the icon, read from the class path once and served under a name that carries a hash of
 * their content ({@code /static/posthorn.3f2a9c1b0d.css}), so they can be cached for a year and a new release
 * is fetched at once. Only the names listed here exist: no path reaches the file system.
 */
public final class StaticAssets implements WebModule {

    private record Asset(String path, String contentType, byte[] body) {
    }

    private final Map<String, Asset> byLogicalName = new LinkedHashMap<>();

    public StaticAssets() {
        add("posthorn.css", "/web/posthorn.css", "text/css; charset=utf-8");
        add("icon.svg", "/web/icon.svg", "image/svg+xml");
    }

    private void add(String name, String resource, String contentType) {
        byte[] body;
        try (InputStream in = StaticAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            body = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int dot = name.lastIndexOf('.');
        String path = "/static/" + name.substring(0, dot) + "." + hash(body) + name.substring(dot);
        byLogicalName.put(name, new Asset(path, contentType, body));
    }

    /** The address to link to: {@code url("posthorn.css")}. */
    public String url(String name) {
        Asset asset = byLogicalName.get(name);
        if (asset == null) {
            throw new IllegalArgumentException("no asset " + name);
        }
        return asset.path();
    }

    @Override
    public void register(Routes routes) {
        for (Asset asset : byLogicalName.values()) {
            routes.get(asset.path(), request -> new WebResponse(200, asset.contentType(), asset.body(),
                    Caching.IMMUTABLE, Map.of()));
        }
    }

    private static String hash(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
