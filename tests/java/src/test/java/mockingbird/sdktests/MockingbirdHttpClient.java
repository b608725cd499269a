package mockingbird.sdktests;

import com.twilio.http.HttpMethod;
import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The SDK's own {@link NetworkHttpClient}, sending every request to mockingbird instead of
 * {@code https://api.twilio.com} (the recipe in docs/sdks.md §Java: rebuild the request against
 * the server keeping path and query, and copy its parameters, headers and credentials). It also
 * remembers each request it made and the status it got, so that tests can see how the SDK
 * paged.
 */
final class MockingbirdHttpClient extends NetworkHttpClient {

    /** One request the SDK made: the URL it built and the URL it actually went to. */
    record SentRequest(HttpMethod method, String sdkUrl, URI url, int status) {
        /** Every value of each query parameter of the URL actually requested. */
        Map<String, List<String>> query() {
            return parseQuery(url.getRawQuery());
        }

        @Override
        public String toString() {
            return method + " " + url + " -> " + status;
        }
    }

    private final String baseUrl; // "http://localhost:PORT", no trailing slash
    private final List<SentRequest> requests = Collections.synchronizedList(new ArrayList<>());

    MockingbirdHttpClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    @Override
    public Response makeRequest(Request original) {
        URI u = URI.create(original.getUrl());
        String target = baseUrl + u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        Request r = new Request(original.getMethod(), target);
        original.getQueryParams().forEach((k, vs) -> vs.forEach(v -> r.addQueryParam(k, v)));
        original.getPostParams().forEach((k, vs) -> vs.forEach(v -> r.addPostParam(k, v)));
        original.getHeaderParams().forEach((k, vs) -> vs.forEach(v -> r.addHeaderParam(k, v)));
        r.setFormParameters(original.getFormParameters());
        r.setContentType(original.getContentType());
        r.setBody(original.getBody());
        r.setUserAgentExtensions(original.getUserAgentExtensions());
        if (original.getAuthStrategy() != null) {
            r.setAuth(original.getAuthStrategy());
        } else {
            r.setAuth(original.getUsername(), original.getPassword());
        }
        Response response = super.makeRequest(r);
        URI sent;
        try {
            sent = r.constructURL().toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        requests.add(new SentRequest(original.getMethod(),
                original.constructURL().toString(), sent, response.getStatusCode()));
        return response;
    }

    /** Requests made through this client so far. */
    List<SentRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The GETs made so far. */
    List<SentRequest> gets() {
        return requests().stream().filter(r -> r.method() == HttpMethod.GET).collect(Collectors.toList());
    }

    /** The last request made, or null. */
    SentRequest last() {
        synchronized (requests) {
            return requests.isEmpty() ? null : requests.get(requests.size() - 1);
        }
    }

    /** Forgets the requests made so far. */
    void forgetRequests() {
        requests.clear();
    }

    void close() {
        try {
            client.close();
        } catch (IOException e) {
            // nothing to do: the server is gone too
        }
    }

    static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String[] pair : WebhookReceiver.parseFormPairs(rawQuery)) {
            query.computeIfAbsent(pair[0], k -> new ArrayList<>()).add(pair[1]);
        }
        return query;
    }
}
