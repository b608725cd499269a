package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The receiver on its own: its fallback, and a route that throws. */
class WebhookReceiverTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> post(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("A=1"))
                .header("Content-Type", "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRouteThatThrowsIsAnswered500AndKeptAndTheFallbackAnswersTheRest() throws Exception {
        try (WebhookReceiver app = WebhookReceiver.start()) {
            app.route("/strict", request -> {
                throw new AssertionError("no signature");
            }).fallback(request -> "<Response/>");

            assertEquals(500, post(app.url("/strict")).statusCode());
            HttpResponse<String> other = post(app.url("/anything?x=1"));
            assertEquals(200, other.statusCode());
            assertEquals("<Response/>", other.body());

            assertEquals(2, app.requests().size(), "both recorded");
            assertEquals(1, app.failures().size());
            assertTrue(app.failures().get(0).getMessage().contains("no signature"), app.failures().toString());
        }
    }
}
