package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** The receiver: its fallback, and a route that throws, on its own and under the extension. */
class WebhookReceiverTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> post(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(WebhookReceiver.DEFAULT_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString("A=1"))
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

    /** Run by the test below (Surefire skips nested classes): its app's route throws. */
    static class ARouteThatThrows {
        @RegisterExtension
        final MockingbirdExtension mockingbird = new MockingbirdExtension(); // an instance field: no server until asked

        @Test
        void theTestItselfPasses(WebhookReceiver app) throws Exception {
            app.route("/strict", request -> {
                throw new AssertionError("no signature");
            });
            post(app.url("/strict"));
        }
    }

    @Test
    void underTheExtensionARouteThatThrowsFailsTheTest() {
        Events failed = EngineTestKit.engine("junit-jupiter")
                .selectors(DiscoverySelectors.selectClass(ARouteThatThrows.class))
                .execute().testEvents().failed();

        assertEquals(1, failed.count());
        Throwable failure = failed.list().get(0).getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();
        assertTrue(failure.getMessage().contains("no signature"), failure.toString());
    }
}
