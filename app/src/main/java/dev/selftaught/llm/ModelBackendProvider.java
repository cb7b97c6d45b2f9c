package dev.selftaught.llm;

/**
 * A kind of model backend, found with {@link java.util.ServiceLoader} (file
 * {@code META-INF/services/dev.selftaught.llm.ModelBackendProvider}). A spec string
 * {@code SCHEME:LOCATION} (e.g. {@code embedded:/models/judge}) is opened by the provider whose
 * {@link #scheme()} matches; {@code http://} and {@code https://} specs go to the HTTP backend.
 */
public interface ModelBackendProvider {
    /** The spec prefix before the first ':' that this provider opens, e.g. "embedded". */
    String scheme();

    /** Opens the model at {@code location} (the spec after "SCHEME:"). Bad locations throw InputError. */
    LanguageModel open(String location, ModelOptions options);
}
