package dev.selftaught.data;

import java.util.regex.Pattern;

/**
 * Keeps credentials written into URLs ({@code http://user:pass@host/...}) out of every output:
 * the user info of each URL in a text is replaced by {@value #MASK}. It lives in {@code data}, the
 * lowest package, so that every layer that writes files or messages can use it.
 */
public final class UrlUserInfo {
    public static final String MASK = "<redacted>";

    /** {@code scheme://user:pass@}: the user info holds no '/', '@', white space or quotes. */
    private static final Pattern USERINFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/@\\s\"'<>]+@");

    private UrlUserInfo() {}

    /** {@code text} with the user info of every URL in it replaced by {@value #MASK}. */
    public static String redact(String text) {
        if (text == null || text.indexOf('@') < 0) return text;
        return USERINFO.matcher(text).replaceAll("$1" + MASK + "@");
    }
}
