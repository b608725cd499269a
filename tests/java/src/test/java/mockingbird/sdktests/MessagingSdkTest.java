package mockingbird.sdktests;

import static mockingbird.sdktests.SeedConfig.FAILURE_NUMBER;
import static mockingbird.sdktests.SeedConfig.FROM_NUMBER;
import static mockingbird.sdktests.SeedConfig.REGISTERED_NUMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.twilio.base.Page;
import com.twilio.base.Reader;
import com.twilio.base.TwilioResponse;
import com.twilio.exception.ApiException;
import com.twilio.exception.AuthenticationException;
import com.twilio.exception.TwilioException;
import com.twilio.http.HttpMethod;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.Key;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.api.v2010.account.MessageCreator;
import com.twilio.rest.api.v2010.account.NewKey;
import com.twilio.security.RequestValidator;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.testing.EventQuery;
import dev.mockingbird.testing.MockingbirdExtension;
import dev.mockingbird.testing.MockingbirdHttpClient;
import dev.mockingbird.testing.MockingbirdHttpClient.SentRequest;
import dev.mockingbird.testing.Tenant;
import dev.mockingbird.testing.WebhookReceiver;

import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The official twilio-java SDK against mockingbird: every call below is one a real app makes.
 *
 * <p>Each test states the real-Twilio behaviour it checks. Servers are per test ({@link
 * SeedConfig#serverPerTest}; each test's {@link Tenant} is the config's account), and every call
 * is given its {@link TwilioRestClient} explicitly, so no test depends on {@code Twilio.init}'s
 * static state and tests run in parallel.
 *
 * <p>twilio-java decodes responses with Jackson into typed resources, and parses dates as RFC
 * 2822 strictly, yielding null (silently) for anything else: so date fields are checked to be
 * non-null, not just present.
 */
class MessagingSdkTest {
    @RegisterExtension
    final MockingbirdExtension mockingbird = SeedConfig.serverPerTest();

    static final String MAGIC_TEST_SENDER = "+15005550006"; // Twilio's always-valid test sender
    static final String OTHER_NUMBER = "+15557654321";
    static final Duration CALLBACK_TIMEOUT = Duration.ofSeconds(5);
    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(5);

    static final Pattern MESSAGE_SID = Pattern.compile("SM[0-9a-f]{32}");
    static final Pattern ACCOUNT_SID = Pattern.compile("AC[0-9a-f]{32}");
    static final Pattern KEY_SID = Pattern.compile("SK[0-9a-f]{32}");

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    static Message send(TwilioRestClient client, String to, String from, String body) {
        return Message.creator(new PhoneNumber(to), new PhoneNumber(from), body).create(client);
    }

    static List<String> sids(Iterable<Message> messages) {
        return sids(messages, Message::getSid);
    }

    /** The SIDs of any resources the SDK returned (a page, a ResourceSet), in order. */
    static <T> List<String> sids(Iterable<T> items, Function<T, String> sid) {
        return StreamSupport.stream(items.spliterator(), false).map(sid).collect(Collectors.toList());
    }

    static List<String> read(TwilioRestClient client, Reader<Message> reader) {
        return sids(reader.read(client));
    }

    static <T> List<T> reversed(List<T> items) {
        List<T> out = new ArrayList<>(items);
        Collections.reverse(out);
        return out;
    }

    static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> out = new ArrayList<>(first);
        out.addAll(second);
        return out;
    }

    /** Waits for the message's status_changed event to {@code status}, then fetches it. */
    static Message waitForStatus(Tenant account, TwilioRestClient client, String sid, Message.Status status) {
        account.waitFor(EventQuery.of("message_status_changed").sid(sid).status(status.toString()).timeout(STATUS_TIMEOUT));
        return Message.fetcher(sid).fetch(client);
    }

    /** The GETs made through {@code http} so far. */
    static List<SentRequest> gets(MockingbirdHttpClient http) {
        return http.requests().stream().filter(r -> r.method() == HttpMethod.GET).collect(Collectors.toList());
    }

    /** The last request made through {@code http}. */
    static SentRequest last(MockingbirdHttpClient http) {
        List<SentRequest> made = http.requests();
        return made.get(made.size() - 1);
    }

    /** Runs {@code call}, expects an ApiException, and returns it. */
    static ApiException apiError(String what, Executable call) {
        return assertThrows(ApiException.class, call, what + ": expected an ApiException");
    }

    static void assertApiError(ApiException error, int status, int code, String what) {
        assertEquals(status, error.getStatusCode(), what + ": HTTP status (" + error.getMessage() + ")");
        assertEquals(code, error.getCode(), what + ": Twilio error code (" + error.getMessage() + ")");
    }

    static List<String> statuses(List<WebhookReceiver.ReceivedRequest> requests) {
        return requests.stream().map(r -> r.form().get("MessageStatus")).collect(Collectors.toList());
    }

    static Predicate<List<WebhookReceiver.ReceivedRequest>> hasStatus(String status) {
        return requests -> statuses(requests).contains(status);
    }

    /** X-Twilio-Signature validates with the SDK's own RequestValidator and this token. */
    static void assertSigned(WebhookReceiver.ReceivedRequest request, String token) {
        String signature = request.header("X-Twilio-Signature");
        assertNotNull(signature, "no X-Twilio-Signature on " + request);
        assertTrue(request.twilioSignatureValid(token), "signature " + signature + " does not validate for " + request);
    }

    // ----------------------------------------------------------------------------------------
    // Create, fetch, lifecycle
    // ----------------------------------------------------------------------------------------

    // POST Messages.json answers 201 with a queued Message resource: an SM + 32 hex SID,
    // num_segments and num_media as strings ("1", "0"), error_code null, price_unit USD, and RFC
    // 2822 dates (which twilio-java parses strictly into ZonedDateTime). Fetching it returns the
    // same resource, and an SMS to a reachable number moves on to `delivered` with error_code
    // still null and date_sent set.
    @Test
    void createFetchAndDeliver(Tenant account) throws Exception {
        TwilioRestClient client = account.twilioClient();

        TwilioResponse<Message> created = Message.creator(
                new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER), "Hello from the SDK")
                .createWithResponse(client);
        assertEquals(201, created.getStatusCode(), "create answered");
        Message message = created.getContent();

        assertTrue(MESSAGE_SID.matcher(message.getSid()).matches(), "sid " + message.getSid());
        assertEquals(Message.Status.QUEUED, message.getStatus());
        assertEquals("1", message.getNumSegments());
        assertEquals("0", message.getNumMedia());
        assertNotNull(message.getPriceUnit(), "price_unit");
        assertEquals("USD", message.getPriceUnit().getCurrencyCode());
        assertEquals(Message.Direction.OUTBOUND_API, message.getDirection());
        assertEquals("2010-04-01", message.getApiVersion());
        assertEquals(account.accountSid(), message.getAccountSid());
        assertEquals(REGISTERED_NUMBER, message.getTo());
        assertEquals(FROM_NUMBER, message.getFrom().getEndpoint());
        assertEquals("Hello from the SDK", message.getBody());
        assertNull(message.getErrorCode(), "error_code of a queued message");
        ZonedDateTime dateCreated = message.getDateCreated();
        assertNotNull(dateCreated, "date_created did not parse as RFC 2822");
        assertNotNull(message.getDateUpdated(), "date_updated did not parse as RFC 2822");

        Message fetched = Message.fetcher(message.getSid()).fetch(client);
        assertEquals(message.getSid(), fetched.getSid());
        assertEquals("Hello from the SDK", fetched.getBody());
        assertEquals(REGISTERED_NUMBER, fetched.getTo());
        assertEquals(dateCreated, fetched.getDateCreated(), "fetched date_created");

        Message delivered = waitForStatus(account, client, message.getSid(), Message.Status.DELIVERED);
        assertNull(delivered.getErrorCode(), "error_code of a delivered message");
        assertNotNull(delivered.getDateSent(), "date_sent of a delivered message (RFC 2822)");
        assertEquals("1", delivered.getNumSegments());
    }

    // ----------------------------------------------------------------------------------------
    // Lists and paging
    // ----------------------------------------------------------------------------------------

    /** The SIDs sent: 7 to the registered number from the account's own, then 2 elsewhere. */
    record Seeded(List<String> mine, List<String> others) {
        List<String> everythingNewestFirst() {
            return reversed(concat(mine, others));
        }
    }

    static Seeded seedMessages(TwilioRestClient client) {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            mine.add(send(client, REGISTERED_NUMBER, FROM_NUMBER, "message " + i).getSid());
        }
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            others.add(send(client, OTHER_NUMBER, MAGIC_TEST_SENDER, "other " + i).getSid());
        }
        return new Seeded(mine, others);
    }

    // GET Messages.json lists newest first and pages with PageSize; iterating the ResourceSet
    // follows next_page_uri (relative, so the SDK puts https://api.twilio.com in front and the
    // request goes back through the custom client) until it is null. The To filter and the page
    // size hold on every page. A limit stops early.
    @Test
    void readPagesNewestFirst(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        MockingbirdHttpClient http = MockingbirdHttpClient.of(client);
        Seeded seeded = seedMessages(client);
        http.clearRequests();

        List<String> sids = new ArrayList<>();
        for (Message m : Message.reader().setTo(REGISTERED_NUMBER).pageSize(3).read(client)) {
            sids.add(m.getSid());
            assertEquals(REGISTERED_NUMBER, m.getTo(), "listed " + m.getSid() + " with To filter");
        }
        assertEquals(reversed(seeded.mine()), sids, "read(To, PageSize 3): all 7, newest first");

        // 7 messages in pages of 3: three GETs, every one still filtered by To and sized 3.
        List<SentRequest> gets = gets(http);
        assertEquals(3, gets.size(), "GETs made: " + gets);
        String listUrl = "https://api.twilio.com/2010-04-01/Accounts/" + account.accountSid() + "/Messages.json";
        for (SentRequest get : gets) {
            Map<String, List<String>> query = get.query();
            assertEquals(List.of(REGISTERED_NUMBER), query.get("To"), "To on " + get);
            assertEquals(List.of("3"), query.get("PageSize"), "PageSize on " + get);
            assertTrue(get.sdkUrl().startsWith(listUrl),
                    "page request built as " + get.sdkUrl() + ": next_page_uri should be relative to https://api.twilio.com");
            assertEquals(200, get.status(), get.toString());
        }

        // A limit stops early: the account's 4 newest messages, in 2 GETs (3 + 1 of the second).
        http.clearRequests();
        List<String> limited = read(client, Message.reader().pageSize(3).limit(4));
        assertEquals(seeded.everythingNewestFirst().subList(0, 4), limited, "read(limit 4, PageSize 3)");
        assertEquals(2, gets(http).size(), "GETs made for limit 4 at 3 a page: " + gets(http));
    }

    // firstPage returns one page; nextPage follows next_page_uri and the last page has no next
    // page; previousPage follows previous_page_uri back. Every page keeps the To filter.
    @Test
    void pagesWalkForwardAndBack(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        Seeded seeded = seedMessages(client);
        List<String> newestFirst = reversed(seeded.mine());

        Reader<Message> reader = Message.reader().setTo(REGISTERED_NUMBER).pageSize(3);
        Page<Message> first = reader.firstPage(client);
        assertEquals(newestFirst.subList(0, 3), sids(first.getRecords()), "first page");
        assertEquals(3, first.getPageSize());
        assertTrue(first.hasNextPage(), "the first of 3 pages has a next page");

        Page<Message> second = reader.nextPage(first, client);
        assertEquals(newestFirst.subList(3, 6), sids(second.getRecords()), "second page");
        assertTrue(second.hasNextPage(), "the second of 3 pages has a next page");

        Page<Message> third = reader.nextPage(second, client);
        assertEquals(newestFirst.subList(6, 7), sids(third.getRecords()), "third page");
        assertFalse(third.hasNextPage(), "the last page has no next page");

        Page<Message> back = reader.previousPage(third, client);
        assertEquals(newestFirst.subList(3, 6), sids(back.getRecords()), "previous page of the third");
    }

    // The From filter returns only that sender's messages (on every page); From and To together
    // must both match, and a filter that matches nothing gives an empty list, not an error.
    @Test
    void readFiltersByFrom(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        MockingbirdHttpClient http = MockingbirdHttpClient.of(client);
        Seeded seeded = seedMessages(client);

        assertEquals(reversed(seeded.others()), read(client, Message.reader().setFrom(MAGIC_TEST_SENDER)),
                "read(From magic sender)");

        http.clearRequests();
        assertEquals(reversed(seeded.mine()), read(client, Message.reader().setFrom(FROM_NUMBER).pageSize(4)),
                "read(From own number, PageSize 4)");
        assertEquals(2, gets(http).size(), "GETs for 7 messages at 4 a page: " + gets(http));
        for (SentRequest get : gets(http)) {
            assertEquals(List.of(FROM_NUMBER), get.query().get("From"), "From on " + get);
        }

        assertEquals(reversed(seeded.others()),
                read(client, Message.reader().setFrom(MAGIC_TEST_SENDER).setTo(OTHER_NUMBER)),
                "read(From magic sender, To other number)");
        assertEquals(List.of(), read(client, Message.reader().setTo(REGISTERED_NUMBER).setFrom(MAGIC_TEST_SENDER)),
                "read(To registered, From magic sender)");
    }

    // ----------------------------------------------------------------------------------------
    // Redact and delete
    // ----------------------------------------------------------------------------------------

    // POST Messages/{Sid}.json with Body="" redacts the message: the body becomes empty and stays
    // empty when fetched again; the rest of the resource (the status) is unchanged.
    @Test
    void redactBody(Tenant account) throws Exception {
        TwilioRestClient client = account.twilioClient();
        String sid = send(client, REGISTERED_NUMBER, FROM_NUMBER, "secret code 123456").getSid();
        waitForStatus(account, client, sid, Message.Status.DELIVERED);

        Message redacted = Message.updater(sid).setBody("").update(client);
        assertEquals(sid, redacted.getSid());
        assertEquals("", redacted.getBody(), "redacted body");
        assertEquals(Message.Status.DELIVERED, redacted.getStatus(), "status after redaction");
        assertEquals("", Message.fetcher(sid).fetch(client).getBody(), "fetched body after redaction");
    }

    // DELETE Messages/{Sid}.json on a delivered message answers 204 (delete() returns true);
    // afterwards the message is gone: fetch answers 404 with code 20404, and it leaves lists.
    @Test
    void deleteAfterDelivery(Tenant account) throws Exception {
        TwilioRestClient client = account.twilioClient();
        MockingbirdHttpClient http = MockingbirdHttpClient.of(client);
        String sid = send(client, REGISTERED_NUMBER, FROM_NUMBER, "to be deleted").getSid();
        waitForStatus(account, client, sid, Message.Status.DELIVERED);

        assertTrue(Message.deleter(sid).delete(client), "delete() of a delivered message");
        assertEquals(204, last(http).status(), "DELETE answered");

        ApiException error = apiError("fetch after delete", () -> Message.fetcher(sid).fetch(client));
        assertApiError(error, 404, 20404, "fetch after delete");
        assertEquals(List.of(), read(client, Message.reader()), "read after delete");
    }

    // Fetching a well-formed SID that does not exist answers 404 with code 20404.
    @Test
    void unknownMessageIs404(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        ApiException error = apiError("fetch of an unknown SID", () -> Message.fetcher("SM" + "0".repeat(32)).fetch(client));
        assertApiError(error, 404, 20404, "fetch of an unknown SID");
    }

    // ----------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------

    // A wrong auth token is refused with 401 and code 20003, on writes, reads and lists alike.
    // twilio-java 12.x raises the server's 401 as an ApiException carrying status and code (its
    // AuthenticationException is for credentials missing before anything is sent, and carries
    // neither), and does not retry it: one request per call.
    @Test
    void badCredentials(Tenant account) {
        TwilioRestClient client = account.twilioClient(account.accountSid(), "notthetoken", account.accountSid());
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("create", () -> send(client, REGISTERED_NUMBER, FROM_NUMBER, "hi"));
        calls.put("fetch", () -> Message.fetcher("SM" + "0".repeat(32)).fetch(client));
        calls.put("read", () -> read(client, Message.reader()));
        calls.forEach((what, call) -> {
            TwilioException error = assertThrows(TwilioException.class, call, what + " with a wrong token");
            if (error instanceof AuthenticationException) {
                fail(what + " with a wrong token: AuthenticationException (" + error.getMessage()
                        + "), want the server's 401 as an ApiException");
            }
            assertTrue(error instanceof ApiException, what + ": " + error);
            assertApiError((ApiException) error, 401, 20003, what + " with a wrong token");
        });
        assertEquals(3, MockingbirdHttpClient.of(client).requests().size(), "requests made (one per call): " + MockingbirdHttpClient.of(client).requests());
    }

    static Stream<Arguments> validationCases() {
        return Stream.of(
                Arguments.of("invalid To is 21211", "+1abc", FROM_NUMBER, "hi", 21211),
                Arguments.of("From not owned is 21606", REGISTERED_NUMBER, "+15550009999", "hi", 21606),
                Arguments.of("body over 1600 characters is 21617", REGISTERED_NUMBER, FROM_NUMBER, "x".repeat(1601), 21617),
                Arguments.of("magic invalid To +15005550001 is 21211", "+15005550001", MAGIC_TEST_SENDER, "hi", 21211));
    }

    // Twilio refuses a bad create with 400 and its documented code (ApiException.getCode): 21211
    // for an invalid To (including the magic test number +15005550001), 21606 for a From the
    // account does not own, 21617 for a body over 1,600 characters. more_info links Twilio's
    // page for the code. Nothing is created.
    @ParameterizedTest(name = "{0}")
    @MethodSource("validationCases")
    void validationErrors(String name, String to, String from, String body, int code, Tenant account) {
        TwilioRestClient client = account.twilioClient();
        ApiException error = apiError(name, () -> send(client, to, from, body));
        assertApiError(error, 400, code, name);
        assertEquals("https://www.twilio.com/docs/errors/" + code, error.getMoreInfo(), "more_info");
        assertNotNull(error.getMessage(), "the exception carries Twilio's message");
        assertFalse(error.getMessage().isEmpty(), "the exception carries Twilio's message");
        assertEquals(List.of(), read(client, Message.reader()), "messages after a refused create");
    }

    // 1,600 characters is Twilio's limit itself, not over it: the message is accepted.
    @Test
    void bodyOfExactly1600CharsIsAccepted(Tenant account) {
        Message message = send(account.twilioClient(), REGISTERED_NUMBER, FROM_NUMBER, "x".repeat(1600));
        assertEquals(Message.Status.QUEUED, message.getStatus());
        assertEquals(1600, message.getBody().length());
    }

    // ----------------------------------------------------------------------------------------
    // Status callbacks
    // ----------------------------------------------------------------------------------------

    // Twilio POSTs a form-encoded callback to StatusCallback for each status after `queued`:
    // `sent`, then `delivered`. Each is signed (X-Twilio-Signature over the full URL, query
    // included, and the sorted parameters, with the account's auth token) so that the SDK's
    // RequestValidator accepts it, and carries MessageSid/SmsSid, MessageStatus/SmsStatus,
    // AccountSid, From, To, ApiVersion; `delivered` also carries RawDlrDoneDate (YYMMDDhhmm).
    @Test
    void statusCallbacksAreSignedAndOrdered(Tenant account, WebhookReceiver receiver) throws Exception {
        TwilioRestClient client = account.twilioClient();
        String callbackUrl = receiver.url("/twilio/status?tenant=t1&attempt=a");
        MessageCreator creator = Message.creator(new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER), "callback me")
                .setStatusCallback(URI.create(callbackUrl));
        String sid = creator.create(client).getSid();

        List<WebhookReceiver.ReceivedRequest> received = receiver.waitFor(hasStatus("delivered"), CALLBACK_TIMEOUT);
        assertEquals(List.of("sent", "delivered"), statuses(received), "callback statuses");

        for (WebhookReceiver.ReceivedRequest request : received) {
            String status = request.form().get("MessageStatus");
            assertEquals("POST", request.method(), status + " callback method");
            assertEquals(callbackUrl, request.url(), status + " callback URL");
            String contentType = request.header("Content-Type");
            assertTrue(contentType != null && contentType.startsWith("application/x-www-form-urlencoded"),
                    status + " callback Content-Type " + contentType);
            assertSigned(request, account.authToken());
            Map<String, String> want = Map.of(
                    "MessageSid", sid,
                    "SmsSid", sid,
                    "SmsStatus", status,
                    "AccountSid", account.accountSid(),
                    "From", FROM_NUMBER,
                    "To", REGISTERED_NUMBER,
                    "ApiVersion", "2010-04-01");
            want.forEach((name, value) -> assertEquals(value, request.form().get(name), status + " callback " + name));
            assertFalse(request.form().containsKey("ErrorCode"),
                    status + " callback carries ErrorCode=" + request.form().get("ErrorCode") + "; a successful message has none");
        }

        WebhookReceiver.ReceivedRequest sent = received.get(0);
        WebhookReceiver.ReceivedRequest delivered = received.get(1);
        assertFalse(sent.form().containsKey("RawDlrDoneDate"), "the sent callback carries RawDlrDoneDate");
        String raw = delivered.form().get("RawDlrDoneDate");
        assertTrue(raw != null && raw.matches("\\d{10}"), "delivered callback RawDlrDoneDate = " + raw + ", want YYMMDDhhmm");

        // A tampered parameter no longer validates: the signature covers the parameters.
        String signature = delivered.header("X-Twilio-Signature");
        Map<String, String> tampered = new HashMap<>(delivered.form());
        tampered.put("MessageStatus", "failed");
        assertFalse(new RequestValidator(account.authToken()).validate(delivered.url(), tampered, signature),
                "a tampered callback still validates");
        // Nor does another account's token validate it.
        assertFalse(new RequestValidator("someoneelsestoken0123456789abcdef").validate(delivered.url(), delivered.form(), signature),
                "the callback validates with a different auth token");

        assertEquals(Message.Status.DELIVERED, Message.fetcher(sid).fetch(client).getStatus(),
                "status after the delivered callback");
    }

    // A message that fails ends `failed` with error_code 30008 (Twilio's "unknown error"), and
    // the `failed` callback carries ErrorCode=30008, signed like every other callback; there is
    // no `delivered` callback and no RawDlrDoneDate.
    @Test
    void failureNumberFailsWith30008(Tenant account, WebhookReceiver receiver) throws Exception {
        TwilioRestClient client = account.twilioClient();
        Message message = Message.creator(new PhoneNumber(FAILURE_NUMBER), new PhoneNumber(FROM_NUMBER), "will fail")
                .setStatusCallback(URI.create(receiver.url("/failed")))
                .create(client);
        String sid = message.getSid();
        assertEquals(Message.Status.QUEUED, message.getStatus(), "created status");

        Message failed = waitForStatus(account, client, sid, Message.Status.FAILED);
        assertEquals(Integer.valueOf(30008), failed.getErrorCode(), "error_code of the failed message");

        List<WebhookReceiver.ReceivedRequest> received = receiver.waitFor(hasStatus("failed"), CALLBACK_TIMEOUT);
        List<String> got = statuses(received);
        assertEquals("failed", got.get(got.size() - 1), "callback statuses " + got + ": want failed last");
        assertFalse(got.contains("delivered"), "callback statuses " + got + " include delivered");
        WebhookReceiver.ReceivedRequest last = received.get(received.size() - 1);
        assertSigned(last, account.authToken());
        assertEquals(sid, last.form().get("MessageSid"), "failed callback MessageSid");
        assertEquals("30008", last.form().get("ErrorCode"), "failed callback ErrorCode");
        assertFalse(last.form().containsKey("RawDlrDoneDate"), "the failed callback carries RawDlrDoneDate");
    }

    // ----------------------------------------------------------------------------------------
    // Subaccounts and API keys
    // ----------------------------------------------------------------------------------------

    // POST Accounts.json creates a subaccount with its own SID and auth token, owned by the
    // parent. A client with the subaccount's credentials sends from the magic test number
    // +15005550006; its messages show in its own list (and in the parent's view of the
    // subaccount), never in the parent's own list, and the subaccount cannot read its parent's
    // messages.
    @Test
    void subaccountSendsWithItsOwnCredentials(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        Account sub = Account.creator().setFriendlyName("x").create(client);
        assertTrue(ACCOUNT_SID.matcher(sub.getSid()).matches(), "subaccount sid " + sub.getSid());
        assertNotEquals(account.accountSid(), sub.getSid());
        assertNotNull(sub.getAuthToken(), "subaccount auth_token");
        assertFalse(sub.getAuthToken().isEmpty(), "subaccount auth_token");
        assertNotEquals(account.authToken(), sub.getAuthToken());
        assertEquals("x", sub.getFriendlyName());
        assertEquals(account.accountSid(), sub.getOwnerAccountSid());
        assertEquals(Account.Status.ACTIVE, sub.getStatus());
        assertNotNull(sub.getDateCreated(), "subaccount date_created did not parse as RFC 2822");

        String parentMessage = send(client, REGISTERED_NUMBER, FROM_NUMBER, "parent").getSid();

        TwilioRestClient subClient = account.twilioClient(sub.getSid(), sub.getAuthToken(), sub.getSid());
        Message subMessage = send(subClient, REGISTERED_NUMBER, MAGIC_TEST_SENDER, "from the subaccount");
        assertTrue(MESSAGE_SID.matcher(subMessage.getSid()).matches(), "sid " + subMessage.getSid());
        assertEquals(sub.getSid(), subMessage.getAccountSid(), "the subaccount's message account_sid");
        assertEquals(Message.Status.QUEUED, subMessage.getStatus());

        assertEquals(List.of(parentMessage), read(client, Message.reader()), "the parent's messages");
        assertEquals(List.of(subMessage.getSid()), read(subClient, Message.reader()), "the subaccount's messages");
        // The parent's credentials may act on its subaccount's resources.
        assertEquals(List.of(subMessage.getSid()), read(client, Message.reader(sub.getSid())),
                "the parent's read of the subaccount's messages");
        // But the subaccount cannot see its parent's messages.
        ApiException error = apiError("the subaccount fetching its parent's message",
                () -> Message.fetcher(account.accountSid(), parentMessage).fetch(subClient));
        assertTrue(error.getStatusCode() == 401 || error.getStatusCode() == 404,
                "the subaccount fetching its parent's message: status " + error.getStatusCode() + " code " + error.getCode());
    }

    // Twilio accepts an API key in place of the auth token: new TwilioRestClient.Builder(keySid,
    // keySecret).accountSid(accountSid) sends Basic auth as SK…:secret with the AC… SID in the
    // URL. The key comes from the Keys resource (POST Keys.json, the only answer that shows the
    // secret); once it is deleted, it no longer authenticates (401, code 20003).
    @Test
    void apiKeyAuthenticatesUntilDeleted(Tenant account) {
        TwilioRestClient client = account.twilioClient();
        NewKey key = NewKey.creator().setFriendlyName("ci").create(client);
        assertTrue(KEY_SID.matcher(key.getSid()).matches(), "key sid " + key.getSid());
        assertNotNull(key.getSecret(), "the new key's secret");
        assertFalse(key.getSecret().isEmpty(), "the new key's secret");
        assertEquals("ci", key.getFriendlyName());
        assertNotNull(key.getDateCreated(), "key date_created did not parse as RFC 2822");

        TwilioRestClient keyClient = account.twilioClient(key.getSid(), key.getSecret(), account.accountSid());
        Message sent = send(keyClient, REGISTERED_NUMBER, FROM_NUMBER, "with a key");
        assertEquals(account.accountSid(), sent.getAccountSid(), "account_sid of a message sent with a key");
        assertEquals(List.of(sent.getSid()), read(client, Message.reader()), "the account's messages");
        assertEquals(List.of(sent.getSid()), read(keyClient, Message.reader()), "the account's messages, read with the key");

        Key fetched = Key.fetcher(key.getSid()).fetch(client);
        assertEquals(key.getSid(), fetched.getSid());
        assertEquals("ci", fetched.getFriendlyName());

        assertTrue(Key.deleter(key.getSid()).delete(client), "delete() of the key");
        ApiException error = apiError("read with a deleted key", () -> read(keyClient, Message.reader()));
        assertApiError(error, 401, 20003, "read with a deleted key");
        error = apiError("create with a deleted key", () -> send(keyClient, REGISTERED_NUMBER, FROM_NUMBER, "after delete"));
        assertApiError(error, 401, 20003, "create with a deleted key");
    }
}
