package dev.selftaught.llm.http;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.testing.RawHttpServer;
import dev.selftaught.testing.TinyProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** HTTPS_PROXY / HTTP_PROXY / NO_PROXY against a real proxy and real servers on loopback. */
class ProxyTest {

    @TempDir
    Path dir;

    static final ModelOptions OPTS = ModelOptions.defaults().withRequestTimeout(Duration.ofSeconds(20)).withRetries(0, Duration.ofMillis(1));

    static ModelRequest req() { return ModelRequest.chat(List.of(ChatMessage.user("hi")), SamplingParams.greedy(4)); }

    static OpenAiModel open(String spec, ModelOptions o, Map<String, String> env, javax.net.ssl.SSLSocketFactory tls) {
        ModelSpec.Http h = (ModelSpec.Http) ModelSpec.parse(spec);
        List<String> keys = new java.util.ArrayList<>();
        for (URI u : h.endpoints()) keys.add(o.apiKeyEnv() == null ? null : env.get(o.apiKeyEnv()));
        return new OpenAiModel(h.endpoints(), h.modelName(), keys, o, HttpProxies.fromEnv(env), tls);
    }

    @Test
    void plainHttpGoesThroughTheProxyInAbsoluteFormWithProxyCredentials() throws Exception {
        try (var target = new RawHttpServer((h, b, out) -> {
            out.write(RawHttpServer.chatOk("via proxy"));
            return true;
        }); var proxy = new TinyProxy()) {
            String proxyUrl = proxy.url().replace("http://", "http://pat:pr%40xy@");
            try (OpenAiModel m = open(target.url() + "#m", OPTS, Map.of("http_proxy", proxyUrl), null)) {
                assertEquals(List.of("via proxy"), m.complete(req()).texts());
            }
            String seen = proxy.heads.getFirst();
            assertTrue(seen.startsWith("POST http://127.0.0.1:" + target.port() + "/v1/chat/completions HTTP/1.1\r\n"), seen);
            String basic = Base64.getEncoder().encodeToString("pat:pr@xy".getBytes(StandardCharsets.UTF_8));
            assertTrue(seen.contains("Proxy-Authorization: Basic " + basic + "\r\n"), seen);
            assertTrue(target.heads.getFirst().startsWith("POST /v1/chat/completions HTTP/1.1"), "the proxy forwarded it in origin form");
        }
    }

    @Test
    void noProxyListedHostsAreReachedDirectly() throws Exception {
        try (var target = new RawHttpServer((h, b, out) -> {
            out.write(RawHttpServer.chatOk("direct"));
            return true;
        }); var proxy = new TinyProxy()) {
            Map<String, String> env = Map.of("HTTP_PROXY", proxy.url(), "NO_PROXY", "example.org, 127.0.0.1:" + target.port());
            try (OpenAiModel m = open(target.url() + "#m", OPTS, env, null)) {
                assertEquals(List.of("direct"), m.complete(req()).texts());
            }
            assertEquals(List.of(), proxy.heads, "the proxy saw nothing");
            assertEquals(1, target.heads.size());
        }
    }

    @Test
    void httpsIsTunnelledWithConnectAndTheProxySeesNoKey() throws Exception {
        SSLContext[] ctx = tlsContexts();
        List<String> auth = new CopyOnWriteArrayList<>();
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(ctx[0]));
        https.createContext("/v1/chat/completions", ex -> {
            auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            ex.getRequestBody().readAllBytes();
            String full = new String(RawHttpServer.chatOk("over tls"), StandardCharsets.UTF_8);
            byte[] body = full.substring(full.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        https.start();
        try (var proxy = new TinyProxy()) {
            int port = https.getAddress().getPort();
            Map<String, String> env = Map.of("HTTPS_PROXY", proxy.url(), "SECRET_KEY_VAR", "sk-tunnelled-secret");
            try (OpenAiModel m = open("https://localhost:" + port + "/v1#m", OPTS.withApiKeyEnv("SECRET_KEY_VAR"), env, ctx[1].getSocketFactory())) {
                assertEquals(List.of("over tls"), m.complete(req()).texts());
                assertEquals(List.of("over tls"), m.complete(req()).texts(), "the tunnelled connection is reused");
            }
            assertEquals(1, proxy.heads.size(), "one tunnel for both calls");
            assertTrue(proxy.heads.getFirst().startsWith("CONNECT localhost:" + port + " HTTP/1.1\r\n"), proxy.heads.getFirst());
            assertEquals(List.of("Bearer sk-tunnelled-secret", "Bearer sk-tunnelled-secret"), auth);
            String relayed = new String(proxy.relayedFromClients(), StandardCharsets.ISO_8859_1);
            assertTrue(relayed.length() > 100, "the TLS bytes went through the proxy");
            assertFalse(relayed.contains("sk-tunnelled-secret"), "the proxy sees only ciphertext");
            assertFalse(relayed.contains("chat/completions"));
        } finally {
            https.stop(0);
        }
    }

    @Test
    void aProxyRefusingConnectIsAClearFailure() throws Exception {
        try (var proxy = new TinyProxy()) {
            proxy.refuseWith = "407 Proxy Authentication Required";
            try (OpenAiModel m = open("https://localhost:9/v1#m", OPTS, Map.of("https_proxy", proxy.url()), null)) {
                ModelException e = assertThrows(ModelException.class, () -> m.complete(req()));
                assertTrue(e.getMessage().contains("proxy refused CONNECT to localhost:9: HTTP/1.1 407 Proxy Authentication Required"), e.getMessage());
            }
        }
    }

    @Test
    void environmentRulesLowerCaseWinsNoProxyMatchesSuffixesAndPorts() {
        HttpProxies p = HttpProxies.fromEnv(Map.of("HTTPS_PROXY", "http://upper:1", "https_proxy", "lower:2",
                "NO_PROXY", ".internal.example, example.net, 10.0.0.7:8443"));
        assertEquals(URI.create("http://lower:2"), p.proxyFor(URI.create("https://api.openai.com/v1")));
        assertNull(p.proxyFor(URI.create("http://api.openai.com/v1")), "no http_proxy: direct");
        assertNull(p.proxyFor(URI.create("https://a.internal.example/v1")));
        assertNull(p.proxyFor(URI.create("https://example.net/v1")));
        assertNull(p.proxyFor(URI.create("https://deep.sub.example.net/v1")));
        assertNotNull(p.proxyFor(URI.create("https://notexample.net/v1")), "a suffix match needs a dot boundary");
        assertNull(p.proxyFor(URI.create("https://10.0.0.7:8443/v1")));
        assertNotNull(p.proxyFor(URI.create("https://10.0.0.7:9443/v1")), "another port is proxied");
        assertNull(HttpProxies.fromEnv(Map.of("https_proxy", "http://p:1", "no_proxy", "*")).proxyFor(URI.create("https://x/v1")));
        InputError e = assertThrows(InputError.class, () -> HttpProxies.fromEnv(Map.of("HTTPS_PROXY", "socks5://p:1")));
        assertTrue(e.getMessage().contains("HTTPS_PROXY uses scheme 'socks5'"), e.getMessage());
    }

    /** [server context with a fresh self-signed localhost certificate, client context trusting only it]. */
    SSLContext[] tlsContexts() throws Exception {
        Path ks = dir.resolve("tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "t", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "keytool");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        return new SSLContext[] {server, client};
    }
}
