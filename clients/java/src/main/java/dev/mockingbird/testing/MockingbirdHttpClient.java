package dev.mockingbird.testing;

import com.twilio.http.HttpMethod;
import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import com.twilio.http.TwilioRestClient;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The SDK's own {@link NetworkHttpClient}, sending every request to mockingbird instead of
 * {@code https://api.twilio.com} (the recipe of docs/sdks.md §Java: rebuild the request against
 * the server, keeping path and query, parameters, headers and credentials). Paging links
 * follow it. It remembers each request it made, so a test can see how the SDK paged.
 */
public final class MockingbirdHttpClient extends NetworkHttpClient {

    /** One request the SDK made: the URL it built, and where it actually went. */
    public record SentRequest(HttpMethod method, String sdkUrl, URI url, int status) {
        /** Every value of each query parameter of the URL requested: what a page asked for. */
        public Map<String, List<String>> query() {
            return WebhookReceiver.decodeForm(url.getRawQuery());
        }

        @Override
        public String toString() {
            return method + " " + url + " -> " + status;
        }
    }

    private final String baseUrl; // "http://localhost:PORT", no trailing slash
    private final List<SentRequest> requests = Collections.synchronizedList(new ArrayList<>());

    /**
     * {@code baseUrl} is the server's HTTP address. An IP address is sent as {@code localhost}:
     * the Java SDK splits a host on dots to insert an edge or region (docs/sdks.md §Java).
     */
    public MockingbirdHttpClient(String baseUrl) {
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.baseUrl = trimmed.replace("://127.0.0.1:", "://localhost:");
    }

    /** A {@link TwilioRestClient} with these credentials, acting on {@code accountSid}, through a new redirect. */
    public static TwilioRestClient twilioClient(String baseUrl, String username, String password, String accountSid) {
        return new TwilioRestClient.Builder(username, password)
                .accountSid(accountSid)
                .httpClient(new MockingbirdHttpClient(baseUrl))
                .build();
    }

    /** The redirect under a client made by {@link #twilioClient} or {@link Tenant#twilioClient()}. */
    public static MockingbirdHttpClient of(TwilioRestClient client) {
        return (MockingbirdHttpClient) client.getHttpClient();
    }

    @Override
    public Response makeRequest(Request original) {
        URI sdkUrl = URI.create(original.getUrl());
        String target = baseUrl + sdkUrl.getRawPath() + (sdkUrl.getRawQuery() == null ? "" : "?" + sdkUrl.getRawQuery());
        Request redirected = new Request(original.getMethod(), target);
        original.getQueryParams().forEach((k, vs) -> vs.forEach(v -> redirected.addQueryParam(k, v)));
        original.getPostParams().forEach((k, vs) -> vs.forEach(v -> redirected.addPostParam(k, v)));
        original.getHeaderParams().forEach((k, vs) -> vs.forEach(v -> redirected.addHeaderParam(k, v)));
        redirected.setFormParameters(original.getFormParameters());
        redirected.setContentType(original.getContentType());
        redirected.setBody(original.getBody());
        redirected.setUserAgentExtensions(original.getUserAgentExtensions());
        if (original.getAuthStrategy() != null) {
            redirected.setAuth(original.getAuthStrategy());
        } else {
            redirected.setAuth(original.getUsername(), original.getPassword());
        }
        Response response = super.makeRequest(redirected);
        try {
            requests.add(new SentRequest(original.getMethod(), original.constructURL().toString(),
                    redirected.constructURL().toURI(), response.getStatusCode()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return response;
    }

    /** The requests made through this client so far. */
    public List<SentRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Forgets the requests made so far: {@link #requests()} lists only those made after. */
    public void clearRequests() {
        requests.clear();
    }

    /** Closes the connection pool. */
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            // nothing to do: the connections are gone either way
        }
    }
}
