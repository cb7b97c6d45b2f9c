package dev.selftaught.llm;

import dev.selftaught.data.InputError;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed model spec string, the one way every command names a model.
 * <ul>
 *   <li>{@code http(s)://HOST:PORT/v1[#NAME]}, several comma-separated: an OpenAI-compatible fleet
 *       ({@link Http}); {@code #NAME} is the served model name (it may be given on any one URL);
 *       {@code ?key_env=VAR} on a URL sends that endpoint the API key held in environment variable VAR</li>
 *   <li>{@code SCHEME:LOCATION}, e.g. {@code embedded:/models/judge}: a backend found by
 *       {@link ModelBackendProvider#scheme()} ({@link Provider})</li>
 * </ul>
 */
public sealed interface ModelSpec {

    /**
     * OpenAI-compatible endpoints: base URLs without a trailing slash (each may carry the query
     * {@code key_env=VAR}), and the served name if given.
     */
    record Http(List<URI> endpoints, String modelName) implements ModelSpec {
        public Http {
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) throw new IllegalArgumentException("no endpoints");
        }
    }

    /** Any other scheme, opened by the matching {@link ModelBackendProvider}. */
    record Provider(String scheme, String location) implements ModelSpec {}

    /** Number of independent endpoints behind this spec (1 for non-HTTP backends). */
    default int endpointCount() { return this instanceof Http h ? h.endpoints().size() : 1; }

    static ModelSpec parse(String spec) {
        if (spec == null || spec.isBlank()) throw new InputError("model spec is empty; give e.g. http://localhost:8000/v1 or embedded:PATH");
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) return parseHttp(s);
        int colon = s.indexOf(':');
        if (colon <= 0) {
            throw new InputError("model spec '" + s + "' has no scheme; give http(s)://HOST:PORT/v1[#NAME] or SCHEME:LOCATION (e.g. embedded:PATH)");
        }
        return new Provider(s.substring(0, colon).toLowerCase(Locale.ROOT), s.substring(colon + 1));
    }

    private static Http parseHttp(String s) {
        List<URI> uris = new ArrayList<>();
        String name = null;
        for (String part : s.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            String frag = null;
            int hash = p.indexOf('#');
            if (hash >= 0) {
                frag = p.substring(hash + 1);
                p = p.substring(0, hash);
                if (frag.isEmpty()) throw new InputError("model spec '" + s + "': empty model name after '#'");
                if (name != null && !name.equals(frag)) {
                    throw new InputError("model spec '" + s + "': different model names '" + name + "' and '" + frag + "'; name it once");
                }
                name = frag;
            }
            URI uri;
            try {
                uri = new URI(p);
            } catch (URISyntaxException e) {
                throw new InputError("model spec '" + s + "': bad URL '" + p + "': " + e.getReason());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new InputError("model spec '" + s + "': '" + p + "' is not an http(s) URL; separate several base URLs with commas");
            }
            if (uri.getHost() == null) throw new InputError("model spec '" + s + "': URL '" + p + "' has no host");
            String query = uri.getQuery();
            if (query != null && !query.matches("key_env=[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InputError("model spec '" + s + "': URL '" + p + "' may only have the query key_env=VAR (the environment variable holding this endpoint's API key)");
            }
            String path = uri.getPath() == null ? "" : uri.getPath();
            while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
            if (path.isEmpty()) path = "/v1"; // a bare host:port means the usual OpenAI prefix
            try {
                uris.add(new URI(scheme, uri.getUserInfo(), uri.getHost(), uri.getPort(), path, query, null));
            } catch (URISyntaxException e) {
                throw new InputError("model spec '" + s + "': bad URL '" + p + "': " + e.getReason());
            }
        }
        if (uris.isEmpty()) throw new InputError("model spec '" + s + "' names no URL");
        return new Http(uris, name);
    }
}
