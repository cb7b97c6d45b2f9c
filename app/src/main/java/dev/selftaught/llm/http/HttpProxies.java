package dev.selftaught.llm.http;

import dev.selftaught.data.InputError;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxy settings of the usual environment variables: {@code HTTPS_PROXY} for https targets,
 * {@code HTTP_PROXY} for http ones (lower-case spellings win, as in curl), and {@code NO_PROXY}, a
 * comma-separated list of hosts that are reached directly: {@code *} (everything), a host name
 * (which also matches its sub-domains; a leading dot is allowed), an IP address, each optionally
 * with {@code :PORT}. Loopback targets are not exempt unless listed. A proxy is
 * {@code http://[user:pass@]HOST[:PORT]}; its user info is sent as Basic proxy credentials.
 *
 * @param httpsProxy proxy for https targets (tunnelled with CONNECT), or null
 * @param httpProxy  proxy for http targets (absolute-form requests), or null
 * @param noProxy    the NO_PROXY entries, lower-cased
 */
record HttpProxies(URI httpsProxy, URI httpProxy, List<String> noProxy) {

    static final HttpProxies NONE = new HttpProxies(null, null, List.of());

    HttpProxies {
        noProxy = List.copyOf(noProxy);
    }

    /** The settings in {@code env} (e.g. {@code System.getenv()}); a malformed proxy URL is an {@link InputError}. */
    static HttpProxies fromEnv(Map<String, String> env) {
        URI https = proxy(env, "https_proxy");
        URI http = proxy(env, "http_proxy");
        String no = first(env, "no_proxy");
        List<String> entries = new ArrayList<>();
        if (no != null) {
            for (String e : no.split(",")) {
                String s = e.strip().toLowerCase(Locale.ROOT);
                if (!s.isEmpty()) entries.add(s);
            }
        }
        return new HttpProxies(https, http, entries);
    }

    /** The proxy to use for {@code target}, or null to connect directly. */
    URI proxyFor(URI target) {
        URI p = "https".equalsIgnoreCase(target.getScheme()) ? httpsProxy : httpProxy;
        if (p == null || bypass(target)) return null;
        return p;
    }

    private boolean bypass(URI target) {
        String host = target.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port = target.getPort() > 0 ? target.getPort() : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
        for (String e : noProxy) {
            if (e.equals("*")) return true;
            String h = e;
            int entryPort = -1;
            int colon = h.lastIndexOf(':');
            if (colon > 0 && h.indexOf(':') == colon && h.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                entryPort = Integer.parseInt(h.substring(colon + 1));
                h = h.substring(0, colon);
            }
            if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
            if (h.startsWith("*.")) h = h.substring(1);
            if (entryPort >= 0 && entryPort != port) continue;
            if (h.startsWith(".")) {
                if (host.endsWith(h) || host.equals(h.substring(1))) return true;
            } else if (host.equals(h) || host.endsWith("." + h)) {
                return true;
            }
        }
        return false;
    }

    private static String first(Map<String, String> env, String lower) {
        String v = env.get(lower);
        if (v == null || v.isBlank()) v = env.get(lower.toUpperCase(Locale.ROOT));
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static URI proxy(Map<String, String> env, String lower) {
        String v = first(env, lower);
        if (v == null) return null;
        String name = env.get(lower) != null && !env.get(lower).isBlank() ? lower : lower.toUpperCase(Locale.ROOT);
        String s = v.contains("://") ? v : "http://" + v;
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new InputError(name + " is not a URL (" + e.getReason() + "); give http://HOST:PORT");
        }
        if (!"http".equalsIgnoreCase(u.getScheme())) {
            throw new InputError(name + " uses scheme '" + u.getScheme() + "'; only http:// proxies are supported (https targets are tunnelled through them with CONNECT)");
        }
        if (u.getHost() == null) throw new InputError(name + " has no host; give http://HOST:PORT");
        return u;
    }
}
