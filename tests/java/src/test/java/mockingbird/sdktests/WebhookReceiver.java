package mockingbird.sdktests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * An HTTP server on 127.0.0.1 (the JDK's own {@code com.sun.net.httpserver}) that answers 200
 * to everything and records each request. {@link #waitFor} wakes on every arrival. Given an
 * {@link #answerWith answer}, it is an app serving TwiML: the answer's body goes back as {@code
 * text/xml}.
 */
final class WebhookReceiver implements AutoCloseable {

    /** One request the receiver got. */
    record ReceivedRequest(
            String method,
            String url, // the full URL as the sender called it (what Twilio signs)
            String path, // path and query
            Map<String, List<String>> headers, // names case-insensitive
            byte[] body,
            Map<String, String> form, // first value of each form parameter
            List<String[]> formPairs) { // every (name, value), in order

        String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The path without its query. */
        String pathOnly() {
            int query = path.indexOf('?');
            return query < 0 ? path : path.substring(0, query);
        }

        /**
         * The parameters as Twilio sent them: a POST's form, or a GET's query (first value of
         * each). A GET's signature covers its URL alone, so {@link #form} is what it signs.
         */
        Map<String, String> params() {
            if (!"GET".equals(method)) {
                return form;
            }
            int query = path.indexOf('?');
            Map<String, String> params = new LinkedHashMap<>();
            if (query >= 0) {
                parseFormPairs(path.substring(query + 1)).forEach(pair -> params.putIfAbsent(pair[0], pair[1]));
            }
            return Collections.unmodifiableMap(params);
        }

        @Override
        public String toString() {
            return method + " " + url + " " + form;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final List<ReceivedRequest> requests = new ArrayList<>(); // guarded by itself
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private volatile Function<ReceivedRequest, String> answer = request -> null;

    private WebhookReceiver(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        InetSocketAddress address = server.getAddress();
        this.baseUrl = "http://127.0.0.1:" + address.getPort();
    }

    static WebhookReceiver start() throws IOException {
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
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String rawPath = exchange.getRequestURI().toString();
            List<String[]> pairs;
            try {
                pairs = parseFormPairs(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                problems.add(exchange.getRequestMethod() + " " + rawPath + ": body is not form-encoded ("
                        + e.getMessage() + "): " + new String(body, StandardCharsets.UTF_8));
                pairs = List.of();
            }
            Map<String, String> form = new LinkedHashMap<>();
            for (String[] pair : pairs) {
                form.putIfAbsent(pair[0], pair[1]);
            }
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, List.copyOf(values)));
            ReceivedRequest request = new ReceivedRequest(
                    exchange.getRequestMethod(),
                    baseUrl + rawPath,
                    rawPath,
                    Collections.unmodifiableMap(headers),
                    body,
                    Collections.unmodifiableMap(form),
                    List.copyOf(pairs));

            // Recorded before it is answered: whoever waits on the sender's reply finds it here.
            synchronized (requests) {
                requests.add(request);
                requests.notifyAll();
            }

            String reply;
            try {
                reply = answer.apply(request);
            } catch (RuntimeException e) {
                problems.add(request + ": the answer failed: " + e);
                reply = null;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/xml");
            if (reply == null) {
                exchange.sendResponseHeaders(200, -1); // no body: Content-Length 0
            } else {
                byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /**
     * From now on, answers each request with the body {@code answer} gives it ({@code text/xml}),
     * or with an empty 200 where it gives null.
     */
    void answerWith(Function<ReceivedRequest, String> answer) {
        this.answer = answer;
    }

    /** Decodes an application/x-www-form-urlencoded body, keeping order and blanks. */
    static List<String[]> parseFormPairs(String body) {
        List<String[]> pairs = new ArrayList<>();
        for (String part : body.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            pairs.add(new String[] {
                    URLDecoder.decode(name, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8)});
        }
        return pairs;
    }

    /** The receiver's address with this path (and query) appended. */
    String url(String pathAndQuery) {
        return baseUrl + pathAndQuery;
    }

    /** Requests received so far. */
    List<ReceivedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** What went wrong while receiving (bodies that were not form-encoded). */
    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /**
     * Waits until {@code done} holds for the requests received so far and returns them. Wakes on
     * every arrival; after {@code timeout} it fails, listing what was received.
     */
    List<ReceivedRequest> waitFor(Predicate<List<ReceivedRequest>> done, Duration timeout)
            throws InterruptedException {
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
                    throw new AssertionError("webhook receiver: condition not met within "
                            + timeout.toMillis() + " ms; received:\n" + lines);
                }
                requests.wait(Math.max(1, left / 1_000_000), 0);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
