package dev.mockingbird.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.twilio.security.RequestValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The app's side of webhooks, for a test that has no app: an HTTP server on 127.0.0.1 (the
 * JDK's {@code com.sun.net.httpserver}) that records every request and answers it: 200 with an
 * empty body, or what a {@link #route} (or the {@link #fallback}) says (TwiML, say); one that
 * throws is answered 500 and kept in {@link #failures()}. A recorded request checks its own
 * signature: Twilio's {@code X-Twilio-Signature} with the SDK's {@link RequestValidator},
 * Meta's {@code X-Hub-Signature-256} with the app secret.
 *
 * <pre>{@code
 * app.route("/sms", "<Response><Message>Thanks!</Message></Response>");
 * tenant.numbers().add(NUMBER, n -> n.setSmsUrl(app.url("/sms")));
 * ...
 * ReceivedRequest request = app.waitForRequest("/sms");
 * assertTrue(request.twilioSignatureValid(tenant.authToken()));
 * }</pre>
 */
public final class WebhookReceiver implements AutoCloseable {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request the receiver got. */
    public record ReceivedRequest(
            String method,
            String url, // the full URL as the sender called it: what Twilio signs
            String path, // without the query
            Map<String, List<String>> headers, // names case-insensitive
            byte[] body,
            Map<String, String> form) { // the first value of each form (for a GET, query) parameter

        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body as JSON (a Cloud API webhook). */
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("the body is not JSON: " + bodyText(), e);
            }
        }

        /**
         * Whether {@code X-Twilio-Signature} is the one Twilio would send with this auth token,
         * by twilio-java's own {@link RequestValidator} (the form for a POST; a GET's query is in
         * its URL).
         */
        public boolean twilioSignatureValid(String authToken) {
            String signature = header("X-Twilio-Signature");
            if (signature == null) {
                return false;
            }
            Map<String, String> params = "POST".equals(method) ? form : Map.of();
            return new RequestValidator(authToken).validate(url, params, signature);
        }

        /** Whether {@code X-Hub-Signature-256} is {@code sha256=} HMAC-SHA256(app secret, raw body), as Meta signs. */
        public boolean metaSignatureValid(String appSecret) {
            String signature = header("X-Hub-Signature-256");
            if (signature == null) {
                return false;
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
                return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), signature.getBytes(StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is unavailable", e);
            }
        }

        @Override
        public String toString() {
            return method + " " + url + " " + (form.isEmpty() ? bodyText() : form.toString());
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final List<ReceivedRequest> requests = new ArrayList<>(); // guarded by itself
    private final Map<String, Function<ReceivedRequest, String>> routes = new ConcurrentHashMap<>();
    private volatile Function<ReceivedRequest, String> fallback = request -> null; // an empty 200
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private WebhookReceiver(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Starts a receiver on a free port of 127.0.0.1. */
    public static WebhookReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
                Thread thread = new Thread(runnable, "webhook-receiver");
                thread.setDaemon(true);
                return thread;
            });
            server.setExecutor(executor);
            WebhookReceiver receiver = new WebhookReceiver(server, executor);
            server.createContext("/", receiver::handle);
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the webhook receiver", e);
        }
    }

    /** The receiver's address with this path (and query): what the app would be reached at. */
    public String url(String pathAndQuery) {
        return baseUrl + pathAndQuery;
    }

    /** Requests to {@code path} are answered with {@code body} ({@code text/xml}: TwiML). */
    public WebhookReceiver route(String path, String body) {
        return route(path, request -> body);
    }

    /** Requests to {@code path} are answered with what {@code answer} makes of them. */
    public WebhookReceiver route(String path, Function<ReceivedRequest, String> answer) {
        routes.put(path, answer);
        return this;
    }

    /**
     * Requests to a path with no route are answered with what {@code answer} makes of them
     * (by default, an empty 200): a check every request must pass, say.
     */
    public WebhookReceiver fallback(Function<ReceivedRequest, String> answer) {
        this.fallback = answer;
        return this;
    }

    /**
     * What the routes threw (an assertion in one, say), in order; each such request was answered
     * 500. The {@link MockingbirdExtension} fails the test with them.
     */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String rawPathAndQuery = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            String method = exchange.getRequestMethod();
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            String encoded = "GET".equals(method) ? exchange.getRequestURI().getRawQuery()
                    : contentType != null && contentType.startsWith("application/x-www-form-urlencoded")
                            ? new String(body, StandardCharsets.UTF_8) : null;
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, List.copyOf(values)));
            ReceivedRequest request = new ReceivedRequest(method, baseUrl + rawPathAndQuery,
                    exchange.getRequestURI().getPath(), Collections.unmodifiableMap(headers), body, parseForm(encoded));

            // Recorded before it is answered: whoever waits on the sender's reply finds it here.
            synchronized (requests) {
                requests.add(request);
                requests.notifyAll();
            }

            String reply;
            try {
                reply = routes.getOrDefault(request.path(), fallback).apply(request);
            } catch (RuntimeException | AssertionError e) {
                // On this server's thread nobody would see it: kept for the test, and the sender hears 500.
                failures.add(new AssertionError(request + ": " + e, e));
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/xml");
            if (reply == null) {
                exchange.sendResponseHeaders(200, -1);
            } else {
                byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private static Map<String, String> parseForm(String encoded) {
        Map<String, String> form = new LinkedHashMap<>();
        decodeForm(encoded).forEach((name, values) -> form.put(name, values.get(0)));
        return Collections.unmodifiableMap(form);
    }

    /** Every value of each name of an {@code application/x-www-form-urlencoded} string (a body, a query), in order. */
    static Map<String, List<String>> decodeForm(String encoded) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return values;
        }
        for (String part : encoded.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return values;
    }

    /** Requests received so far, oldest first. */
    public List<ReceivedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /**
     * The first request to {@code path} whose form has these values ({@code "MessageStatus",
     * "delivered"}, as pairs), waiting up to five seconds.
     */
    public ReceivedRequest waitForRequest(String path, String... formPairs) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i + 1 < formPairs.length; i += 2) {
            wanted.put(formPairs[i], formPairs[i + 1]);
        }
        Predicate<ReceivedRequest> matches = r -> r.path().equals(path)
                && wanted.entrySet().stream().allMatch(e -> e.getValue().equals(r.form().get(e.getKey())));
        List<ReceivedRequest> seen = waitFor(all -> all.stream().anyMatch(matches), DEFAULT_TIMEOUT);
        return seen.stream().filter(matches).findFirst().orElseThrow();
    }

    /**
     * Waits until {@code done} holds for the requests received so far and returns them. Wakes
     * on every arrival; after {@code timeout} it fails with an AssertionError listing them.
     */
    public List<ReceivedRequest> waitFor(Predicate<List<ReceivedRequest>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (requests) {
            for (;;) {
                List<ReceivedRequest> seen = List.copyOf(requests);
                if (done.test(seen)) {
                    return seen;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    String lines = seen.isEmpty() ? "  (none)"
                            : seen.stream().map(r -> "  " + r).collect(Collectors.joining("\n"));
                    throw new AssertionError("webhook receiver: nothing matched within " + timeout.toMillis()
                            + " ms; received:\n" + lines);
                }
                try {
                    requests.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for webhooks", e);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
