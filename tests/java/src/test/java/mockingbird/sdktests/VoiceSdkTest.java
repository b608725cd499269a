package mockingbird.sdktests;

import static mockingbird.sdktests.MessagingSdkTest.apiError;
import static mockingbird.sdktests.MessagingSdkTest.assertApiError;
import static mockingbird.sdktests.MessagingSdkTest.assertSigned;
import static mockingbird.sdktests.MessagingSdkTest.sids;
import static mockingbird.sdktests.SeedConfig.FAILURE_NUMBER;
import static mockingbird.sdktests.SeedConfig.FROM_NUMBER;
import static mockingbird.sdktests.SeedConfig.REGISTERED_NUMBER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.base.TwilioResponse;
import com.twilio.exception.ApiException;
import com.twilio.http.HttpMethod;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.IncomingPhoneNumber;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.api.v2010.account.Recording;
import com.twilio.twiml.VoiceResponse;
import com.twilio.twiml.voice.Dial;
import com.twilio.twiml.voice.Gather;
import com.twilio.twiml.voice.Hangup;
import com.twilio.twiml.voice.Number;
import com.twilio.twiml.voice.Pause;
import com.twilio.twiml.voice.Play;
import com.twilio.twiml.voice.Record;
import com.twilio.twiml.voice.Redirect;
import com.twilio.twiml.voice.Reject;
import com.twilio.twiml.voice.Say;
import com.twilio.twiml.voice.Sms;
import com.twilio.twiml.voice.SsmlSayAs;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import dev.mockingbird.testing.EventQuery;
import dev.mockingbird.testing.MockingbirdExtension;
import dev.mockingbird.testing.Tenant;
import dev.mockingbird.testing.WebhookReceiver;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Voice through the official twilio-java SDK: calls created, fetched, listed, updated and
 * deleted as an app does it, and the app's TwiML written only with the SDK's own {@link
 * VoiceResponse} builder, served by the test's {@link WebhookReceiver} as {@code text/xml}. The
 * person on the phone is the client's {@link dev.mockingbird.testing.Call}: it dials in, presses
 * keys, speaks and reads back what the caller heard.
 *
 * <p>Calls run on the server's real clock, 0.1 s a step ({@link SeedConfig}): every wait below
 * waits for the call's event, with a deadline, and nothing waits for a timeout to pass.
 */
class VoiceSdkTest {
    @RegisterExtension
    final MockingbirdExtension mockingbird = SeedConfig.serverPerTest();

    static final String CALLER = "+15557654321"; // the person on the phone
    static final String IVR_NUMBER = "+15550002222"; // the app's number, bought in the test
    static final String AGENT = "+15557770001";
    static final String MAGIC_TEST_SENDER = MessagingSdkTest.MAGIC_TEST_SENDER;
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    static final Pattern CALL_SID = Pattern.compile("CA[0-9a-f]{32}");
    static final Pattern RECORDING_SID = Pattern.compile("RE[0-9a-f]{32}");

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    /**
     * Makes {@code app} serve each path's TwiML, as the SDK's builder writes it ({@code toXml()},
     * XML declaration and all). Other paths (status callbacks) get an empty 200. Every request
     * must carry an X-Twilio-Signature that the SDK's RequestValidator accepts (over the full
     * URL and the form; a GET's URL alone): one that does not fails the test.
     */
    static void serve(Tenant account, WebhookReceiver app,
            Map<String, Function<WebhookReceiver.ReceivedRequest, VoiceResponse>> pages) {
        app.fallback(request -> {
            assertSigned(request, account.authToken());
            return null;
        });
        pages.forEach((path, page) -> app.route(path, request -> {
            assertSigned(request, account.authToken());
            return page.apply(request).toXml();
        }));
    }

    static Say say(String words) {
        return new Say.Builder(words).build();
    }

    static Hangup hangup() {
        return new Hangup.Builder().build();
    }

    /** A gather that waits for one key far longer than any test takes to press it. */
    static Gather.Builder menu(String action) {
        return new Gather.Builder().numDigits(1).action(action).timeout(30);
    }

    static Call place(TwilioRestClient client, String to, URI url) {
        return Call.creator(new PhoneNumber(to), new PhoneNumber(FROM_NUMBER), url).create(client);
    }

    static List<WebhookReceiver.ReceivedRequest> to(String path, List<WebhookReceiver.ReceivedRequest> requests) {
        return requests.stream().filter(r -> r.path().equals(path)).collect(Collectors.toList());
    }

    /** The one request the app got at {@code path}. */
    static WebhookReceiver.ReceivedRequest only(WebhookReceiver app, String path) {
        List<WebhookReceiver.ReceivedRequest> got = to(path, app.requests());
        assertEquals(1, got.size(), "requests to " + path + ": " + app.requests());
        return got.get(0);
    }

    static List<String> callStatuses(List<WebhookReceiver.ReceivedRequest> callbacks) {
        return callbacks.stream().map(r -> r.form().get("CallStatus")).collect(Collectors.toList());
    }

    /** The status callbacks at {@code path} include one for {@code status}. */
    static Predicate<List<WebhookReceiver.ReceivedRequest>> reported(String path, String status) {
        return requests -> callStatuses(to(path, requests)).contains(status);
    }

    /** Waits for the call's status_changed event to {@code status}, then fetches it. */
    static Call waitForStatus(Tenant account, TwilioRestClient client, String sid, Call.Status status) {
        account.waitFor(EventQuery.of("call_status_changed").sid(sid).callStatus(status.toString()).timeout(CALL_TIMEOUT));
        return Call.fetcher(sid).fetch(client);
    }

    /**
     * The call once it listens for the caller (a call the SDK placed is answered a few steps
     * after it is created): its {@code <Gather>} or {@code <Record>} has begun.
     */
    static dev.mockingbird.testing.Call listening(Tenant account, String sid) {
        account.waitFor(EventQuery.of("call_gathering").sid(sid).timeout(CALL_TIMEOUT));
        return account.call(sid);
    }

    /** The call once the app has said {@code words} on it (its state then is the state of that step's end). */
    static dev.mockingbird.testing.Call heardSaying(Tenant account, String sid, String words) {
        account.waitFor(EventQuery.of("call_verb").sid(sid).bodyContains(words).timeout(CALL_TIMEOUT));
        return account.call(sid);
    }

    /**
     * The parameters every voice request and call status callback carries, for a call from
     * {@code from} to {@code to}, and its signature.
     */
    static void assertCallParams(WebhookReceiver.ReceivedRequest request, Tenant account, String sid,
            String from, String to, String direction, String callStatus) {
        Map<String, String> params = request.form(); // a POST's form, a GET's query
        Map<String, String> want = Map.of(
                "CallSid", sid,
                "AccountSid", account.accountSid(),
                "From", from,
                "To", to,
                "Caller", from,
                "Called", to,
                "Direction", direction,
                "CallStatus", callStatus,
                "ApiVersion", "2010-04-01");
        want.forEach((name, value) -> assertEquals(value, params.get(name), name + " of " + request));
        assertSigned(request, account.authToken());
    }

    // ----------------------------------------------------------------------------------------
    // Calls placed through the SDK
    // ----------------------------------------------------------------------------------------

    // POST Calls.json with a Url answers 201 with a queued Call (CA + 32 hex, outbound-api, no
    // start, end or duration yet). The callee answers and Twilio asks the Url for TwiML with the
    // call's parameters (CallStatus in-progress), signed. The builder's Say (voice, language,
    // loop), Pause, Play (a relative URL, resolved against the document's) and Hangup run as
    // written, and StatusCallback hears exactly the StatusCallbackEvents asked for — initiated,
    // answered (CallStatus in-progress) and completed, numbered from 0 — the last with the call's
    // CallDuration and its Duration in whole minutes, rounded up.
    @Test
    void aCallToTheAppsUrlRunsItsTwimlAndReportsOnlyTheEventsAskedFor(Tenant account, WebhookReceiver app)
            throws Exception {
        TwilioRestClient client = account.twilioClient();
        serve(account, app, Map.of("/voice", request -> new VoiceResponse.Builder()
                .say(new Say.Builder("Hello from the builder")
                        .voice(Say.Voice.POLLY_JOANNA).language(Say.Language.EN_US).loop(2).build())
                .pause(new Pause.Builder().length(1).build())
                .play(new Play.Builder("/audio/chime.mp3").build())
                .hangup(hangup())
                .build()));

        TwilioResponse<Call> created = Call.creator(new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER),
                        URI.create(app.url("/voice")))
                .setStatusCallback(app.url("/status"))
                .setStatusCallbackEvent(List.of("initiated", "answered", "completed"))
                .createWithResponse(client);
        assertEquals(201, created.getStatusCode(), "create answered");
        Call call = created.getContent();
        String sid = call.getSid();
        assertTrue(CALL_SID.matcher(sid).matches(), "sid " + sid);
        assertEquals(Call.Status.QUEUED, call.getStatus());
        assertEquals("outbound-api", call.getDirection());
        assertEquals(REGISTERED_NUMBER, call.getTo());
        assertEquals(FROM_NUMBER, call.getFrom());
        assertEquals(account.accountSid(), call.getAccountSid());
        assertEquals("2010-04-01", call.getApiVersion());
        assertNotNull(call.getDateCreated(), "date_created did not parse as RFC 2822");
        assertNull(call.getStartTime(), "start_time of a queued call");
        assertNull(call.getDuration(), "duration of a queued call");

        List<WebhookReceiver.ReceivedRequest> callbacks = to("/status",
                app.waitFor(reported("/status", "completed"), CALL_TIMEOUT));
        assertEquals(List.of("initiated", "in-progress", "completed"), callStatuses(callbacks), "callbacks");
        for (int i = 0; i < callbacks.size(); i++) {
            WebhookReceiver.ReceivedRequest callback = callbacks.get(i);
            assertEquals("POST", callback.method());
            assertCallParams(callback, account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api",
                    callback.form().get("CallStatus"));
            assertEquals(String.valueOf(i), callback.form().get("SequenceNumber"), "SequenceNumber of " + callback);
            assertEquals("call-progress-events", callback.form().get("CallbackSource"));
            assertNotNull(callback.form().get("Timestamp"), "Timestamp of " + callback);
        }

        Call ended = Call.fetcher(sid).fetch(client);
        assertEquals(Call.Status.COMPLETED, ended.getStatus());
        assertNotNull(ended.getStartTime(), "start_time of an answered call");
        assertNotNull(ended.getEndTime(), "end_time of an ended call");
        assertNotNull(ended.getDuration(), "duration of an ended call");
        assertTrue(Integer.parseInt(ended.getDuration()) >= 1, "duration " + ended.getDuration() + " s, after a 1 s pause");
        Map<String, String> completed = callbacks.get(2).form();
        assertEquals(ended.getDuration(), completed.get("CallDuration"), "CallDuration");
        assertEquals("1", completed.get("Duration"), "Duration in minutes, rounded up");
        assertEquals("200", completed.get("SipResponseCode"), "SipResponseCode of a completed call");

        assertCallParams(only(app, "/voice"), account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api", "in-progress");
        var heard = account.call(sid);
        List<String> transcript = heard.transcriptLines();
        assertEquals(List.of("Hello from the builder"), heard.said(), "said: " + heard);
        assertTrue(transcript.contains("paused 1 s"), "transcript: " + heard);
        assertTrue(transcript.contains("played " + app.url("/audio/chime.mp3")), "transcript: " + heard);
        assertEquals("hung up by app: completed", transcript.get(transcript.size() - 1));
    }

    // Twiml, the SDK's builder output passed inline (com.twilio.type.Twiml), runs unchanged:
    // SSML inside <Say> is read as its words. Without StatusCallbackEvent only `completed` is
    // reported, as sequence number 0.
    @Test
    void twimlBuiltWithTheBuilderRunsInlineAndReportsCompletedAlone(Tenant account, WebhookReceiver app)
            throws Exception {
        TwilioRestClient client = account.twilioClient();
        VoiceResponse twiml = new VoiceResponse.Builder()
                .say(new Say.Builder("Your code is")
                        .sayAs(new SsmlSayAs.Builder("1234").interpretAs(SsmlSayAs.InterpretAs.DIGITS).build())
                        .build())
                .hangup(hangup())
                .build();
        String sid = Call.creator(new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER), new Twiml(twiml.toXml()))
                .setStatusCallback(URI.create(app.url("/status")))
                .create(client)
                .getSid();

        List<WebhookReceiver.ReceivedRequest> callbacks = to("/status",
                app.waitFor(reported("/status", "completed"), CALL_TIMEOUT));
        assertEquals(List.of("completed"), callStatuses(callbacks), "callbacks without StatusCallbackEvent");
        assertEquals("0", callbacks.get(0).form().get("SequenceNumber"));
        assertCallParams(callbacks.get(0), account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api", "completed");

        assertEquals(Call.Status.COMPLETED, Call.fetcher(sid).fetch(client).getStatus());
        var heard = account.call(sid);
        assertEquals("fetched inline TwiML", heard.transcriptLines().get(0), "transcript: " + heard);
        assertEquals(List.of("Your code is 1234"), heard.said(), "said: " + heard);
    }

    // GET Calls.json lists the account's calls newest first; To, From and Status filter it, and
    // Status names the call's final state: a call to a failure number fails, the others complete.
    @Test
    void callsAreListedNewestFirstAndFilteredByToFromAndStatus(Tenant account) throws Exception {
        TwilioRestClient client = account.twilioClient();
        Twiml hangUp = new Twiml(new VoiceResponse.Builder().hangup(hangup()).build().toXml());
        String first = Call.creator(new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER), hangUp)
                .create(client).getSid();
        String second = Call.creator(new PhoneNumber(CALLER), new PhoneNumber(MAGIC_TEST_SENDER), hangUp)
                .create(client).getSid();
        String failing = Call.creator(new PhoneNumber(FAILURE_NUMBER), new PhoneNumber(FROM_NUMBER), hangUp)
                .create(client).getSid();
        assertEquals(Call.Status.FAILED, waitForStatus(account, client, failing, Call.Status.FAILED).getStatus());
        assertEquals(Call.Status.COMPLETED, waitForStatus(account, client, first, Call.Status.COMPLETED).getStatus());
        assertEquals(Call.Status.COMPLETED, waitForStatus(account, client, second, Call.Status.COMPLETED).getStatus());

        assertEquals(List.of(failing, second, first), sids(Call.reader().read(client), Call::getSid), "all calls");
        assertEquals(List.of(first), sids(Call.reader().setTo(new PhoneNumber(REGISTERED_NUMBER)).read(client), Call::getSid),
                "To filter");
        assertEquals(List.of(second), sids(Call.reader().setFrom(new PhoneNumber(MAGIC_TEST_SENDER)).read(client), Call::getSid),
                "From filter");
        assertEquals(List.of(failing), sids(Call.reader().setStatus(Call.Status.FAILED).read(client), Call::getSid),
                "Status=failed");
        assertEquals(List.of(second, first), sids(Call.reader().setStatus(Call.Status.COMPLETED).read(client), Call::getSid),
                "Status=completed");
        assertEquals(List.of(), sids(Call.reader().setStatus(Call.Status.QUEUED).read(client), Call::getSid),
                "Status=queued");
    }

    // A call in progress follows the app: a new Twiml runs at once in place of what was running
    // (a waiting <Gather> included), so does a new Url (asked like the first, signed), and
    // Status=completed hangs up. An ended call cannot be redirected (21220); it can be deleted,
    // and is then 20404.
    @Test
    void theAppRedirectsALiveCallWithTwimlThenUrlAndHangsItUp(Tenant account, WebhookReceiver app) throws Exception {
        TwilioRestClient client = account.twilioClient();
        serve(account, app, Map.of(
                "/voice", request -> new VoiceResponse.Builder()
                        .gather(menu("/never").say(say("Please hold.")).build()).build(),
                "/moved", request -> new VoiceResponse.Builder()
                        .say(say("Back at the app."))
                        .gather(menu("/never").say(say("Holding again.")).build()).build()));
        String sid = place(client, REGISTERED_NUMBER, URI.create(app.url("/voice"))).getSid();
        assertEquals("gather", listening(account, sid).waitingFor(), "the call waits in its gather");

        Call redirected = Call.updater(sid)
                .setTwiml(new Twiml(new VoiceResponse.Builder()
                        .say(say("Moved by the app."))
                        .gather(menu("/never").say(say("Still holding.")).build())
                        .build().toXml()))
                .update(client);
        assertEquals(Call.Status.IN_PROGRESS, redirected.getStatus(), "status after a Twiml redirect");
        var heard = heardSaying(account, sid, "Still holding.");
        assertEquals("gather", heard.waitingFor(), heard.toString());
        assertEquals(List.of("Please hold.", "Moved by the app.", "Still holding."), heard.said(), "said: " + heard);

        Call.updater(sid).setUrl(URI.create(app.url("/moved"))).update(client);
        app.waitFor(requests -> !to("/moved", requests).isEmpty(), CALL_TIMEOUT);
        assertCallParams(only(app, "/moved"), account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api", "in-progress");
        heard = heardSaying(account, sid, "Holding again.");
        assertEquals(List.of("Please hold.", "Moved by the app.", "Still holding.", "Back at the app.", "Holding again."),
                heard.said(), "said: " + heard);

        Call hungUp = Call.updater(sid).setStatus(Call.UpdateStatus.COMPLETED).update(client);
        assertEquals(Call.Status.COMPLETED, hungUp.getStatus(), "status after Status=completed");
        assertNotNull(hungUp.getEndTime(), "end_time of a call hung up");
        assertNotNull(hungUp.getDuration(), "duration of a call hung up");
        assertTrue(to("/never", app.requests()).isEmpty(), "a gather cut short asks no action: " + app.requests());

        ApiException error = apiError("redirect of an ended call",
                () -> Call.updater(sid).setUrl(URI.create(app.url("/moved"))).update(client));
        assertApiError(error, 400, 21220, "redirect of an ended call");

        assertTrue(Call.deleter(sid).delete(client), "delete() of an ended call");
        error = apiError("fetch of a deleted call", () -> Call.fetcher(sid).fetch(client));
        assertApiError(error, 404, 20404, "fetch of a deleted call");
    }

    // A call not yet answered (queued: the account's clock is frozen, so its next step never
    // comes) cannot be redirected (21220) or deleted (20009); Status=canceled ends it
    // `canceled`, with an end time and no duration, reported to StatusCallback (the default
    // `completed` event), signed. Once canceled it can be deleted.
    @Test
    void aCallNotYetAnsweredIsCanceledAndOnlyThenDeleted(Tenant account, WebhookReceiver app) throws Exception {
        TwilioRestClient client = account.twilioClient();
        account.clock().freeze();
        serve(account, app, Map.of()); // no TwiML is asked for; the callback must be signed
        String sid = Call.creator(new PhoneNumber(REGISTERED_NUMBER), new PhoneNumber(FROM_NUMBER),
                        URI.create(app.url("/voice")))
                .setStatusCallback(URI.create(app.url("/status")))
                .create(client)
                .getSid();

        ApiException error = apiError("redirect of a queued call",
                () -> Call.updater(sid).setUrl(URI.create(app.url("/other"))).update(client));
        assertApiError(error, 400, 21220, "redirect of a queued call");
        error = apiError("delete of a queued call", () -> Call.deleter(sid).delete(client));
        assertApiError(error, 400, 20009, "delete of a queued call");

        Call canceled = Call.updater(sid).setStatus(Call.UpdateStatus.CANCELED).update(client);
        assertEquals(Call.Status.CANCELED, canceled.getStatus(), "status after Status=canceled");
        assertNotNull(canceled.getEndTime(), "end_time of a canceled call");
        assertNull(canceled.getDuration(), "duration of a call never answered");
        assertNull(canceled.getStartTime(), "start_time of a call never answered");

        List<WebhookReceiver.ReceivedRequest> callbacks = to("/status",
                app.waitFor(reported("/status", "canceled"), CALL_TIMEOUT));
        assertEquals(List.of("canceled"), callStatuses(callbacks), "callbacks");
        assertCallParams(callbacks.get(0), account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api", "canceled");
        assertTrue(to("/voice", app.requests()).isEmpty(), "the app was asked for TwiML: " + app.requests());

        assertTrue(Call.deleter(sid).delete(client), "delete() of a canceled call");
        error = apiError("fetch of a deleted call", () -> Call.fetcher(sid).fetch(client));
        assertApiError(error, 404, 20404, "fetch of a deleted call");
    }

    static Stream<Arguments> badCalls() {
        String url = "https://app.example/voice";
        return Stream.of(
                Arguments.of("no To is 21201", null, FROM_NUMBER, url, 21201),
                Arguments.of("no From is 21213", REGISTERED_NUMBER, null, url, 21213),
                Arguments.of("no Url nor Twiml is 21205", REGISTERED_NUMBER, FROM_NUMBER, null, 21205),
                Arguments.of("a Url that is not http(s) is 21205", REGISTERED_NUMBER, FROM_NUMBER, "ftp://app.example/voice", 21205),
                Arguments.of("a From not the account's is 21210", REGISTERED_NUMBER, CALLER, url, 21210));
    }

    // Twilio refuses a bad call with 400 and its code, raised by the SDK as an ApiException
    // whose more_info links the code's page; nothing is created.
    @ParameterizedTest(name = "{0}")
    @MethodSource("badCalls")
    void badCallsAreRefusedWithTwiliosCodes(String name, String to, String from, String url, int code, Tenant account) {
        TwilioRestClient client = account.twilioClient();
        PhoneNumber toNumber = to == null ? null : new PhoneNumber(to);
        PhoneNumber fromNumber = from == null ? null : new PhoneNumber(from);
        URI uri = url == null ? null : URI.create(url);
        ApiException error = apiError(name, () -> Call.creator(toNumber, fromNumber, uri).create(client));
        assertApiError(error, 400, code, name);
        assertEquals("https://www.twilio.com/docs/errors/" + code, error.getMoreInfo(), "more_info");
        assertEquals(List.of(), sids(Call.reader().read(client), Call::getSid), "calls after a refused create");
    }

    // ----------------------------------------------------------------------------------------
    // The app's IVR, with the caller on the line
    // ----------------------------------------------------------------------------------------

    // A caller dials the app's number (bought through the SDK with a VoiceUrl): Twilio asks the
    // VoiceUrl (CallStatus ringing, Direction inbound), the menu is said inside a <Gather>, and
    // the key pressed reaches the action as Digits. Sales is a <Dial><Number> to an agent, who
    // answers on a child call (outbound-dial, ParentCallSid); * with hangupOnStar leaves them and
    // the Dial's action hears DialCallStatus, DialCallSid, DialCallDuration and DialBridged. Then
    // an <Sms> texts the caller from the number, a <Redirect method=GET> fetches the goodbye (its
    // parameters in the query, its URL signed), and <Hangup> ends the call, reported once to the
    // number's StatusCallback.
    @Test
    void aCallerWalksTheAppsMenuToAnAgentAndIsTextedATicket(Tenant account, WebhookReceiver app) throws Exception {
        TwilioRestClient client = account.twilioClient();
        serve(account, app, Map.of(
                "/voice", request -> new VoiceResponse.Builder()
                        .gather(menu("/menu")
                                .say(new Say.Builder("Press 1 for sales, 2 for support.").voice(Say.Voice.POLLY_JOANNA).build())
                                .build())
                        .say(say("We did not get your choice. Goodbye."))
                        .build(),
                "/menu", request -> "1".equals(request.form().get("Digits"))
                        ? new VoiceResponse.Builder()
                                .say(say("Connecting you to sales."))
                                .dial(new Dial.Builder().action("/dialed").hangupOnStar(true).timeout(20)
                                        .number(new Number.Builder(AGENT).build()).build())
                                .build()
                        : new VoiceResponse.Builder().say(say("Support is closed.")).hangup(hangup()).build(),
                "/dialed", request -> new VoiceResponse.Builder()
                        .say(say("Thanks for calling."))
                        .sms(new Sms.Builder("Your ticket is 42").build())
                        .redirect(new Redirect.Builder("/goodbye").method(HttpMethod.GET).build())
                        .build(),
                "/goodbye", request -> new VoiceResponse.Builder().say(say("Goodbye.")).hangup(hangup()).build()));
        IncomingPhoneNumber.creator(new PhoneNumber(IVR_NUMBER))
                .setVoiceUrl(URI.create(app.url("/voice")))
                .setStatusCallback(URI.create(app.url("/status")))
                .create(client);

        var call = account.placeCall(CALLER, IVR_NUMBER);
        String sid = call.sid();
        assertEquals("in-progress", call.status(), call.toString());
        assertEquals("gather", call.waitingFor(), call.toString());
        assertEquals(List.of("Press 1 for sales, 2 for support."), call.said());
        assertCallParams(only(app, "/voice"), account, sid, CALLER, IVR_NUMBER, "inbound", "ringing");

        call.press("1");
        assertEquals("dial", call.waitingFor(), call.toString());
        WebhookReceiver.ReceivedRequest menu = only(app, "/menu");
        assertEquals("1", menu.form().get("Digits"));
        assertCallParams(menu, account, sid, CALLER, IVR_NUMBER, "inbound", "in-progress");

        String legSid = account.waitFor(EventQuery.of("call_status_changed").to(AGENT).callStatus("in-progress")
                .timeout(CALL_TIMEOUT)).getCallStatusChanged().getSid();
        assertEquals(List.of(legSid), sids(Call.reader().setParentCallSid(sid).read(client), Call::getSid), "the agent's leg");
        Call leg = waitForStatus(account, client, legSid, Call.Status.IN_PROGRESS);
        assertEquals(Call.Status.IN_PROGRESS, leg.getStatus(), "the agent's leg");
        assertEquals(AGENT, leg.getTo());
        assertEquals("outbound-dial", leg.getDirection());
        assertEquals(sid, leg.getParentCallSid());

        call.press("*");
        WebhookReceiver.ReceivedRequest dialed = only(app, "/dialed");
        assertEquals("completed", dialed.form().get("DialCallStatus"));
        assertEquals(leg.getSid(), dialed.form().get("DialCallSid"));
        assertEquals("true", dialed.form().get("DialBridged"));
        assertNotNull(dialed.form().get("DialCallDuration"), "DialCallDuration of a bridged dial: " + dialed);
        assertCallParams(dialed, account, sid, CALLER, IVR_NUMBER, "inbound", "in-progress");

        WebhookReceiver.ReceivedRequest goodbye = only(app, "/goodbye");
        assertEquals("GET", goodbye.method(), "the Redirect's method");
        assertCallParams(goodbye, account, sid, CALLER, IVR_NUMBER, "inbound", "in-progress");

        assertEquals("completed", call.status(), call.toString());
        assertEquals(List.of("Press 1 for sales, 2 for support.", "Connecting you to sales.", "Thanks for calling.", "Goodbye."),
                call.said(), "said: " + call);
        assertEquals(Call.Status.COMPLETED, Call.fetcher(sid).fetch(client).getStatus());

        List<Message> texts = StreamSupport.stream(Message.reader().setTo(new PhoneNumber(CALLER)).read(client).spliterator(), false)
                .collect(Collectors.toList());
        assertEquals(1, texts.size(), "texts to the caller");
        assertEquals(IVR_NUMBER, texts.get(0).getFrom().getEndpoint());
        assertEquals("Your ticket is 42", texts.get(0).getBody());
        assertTrue(call.transcriptLines().contains("sent message " + texts.get(0).getSid() + " to " + CALLER), "transcript: " + call);

        List<WebhookReceiver.ReceivedRequest> callbacks = to("/status",
                app.waitFor(reported("/status", "completed"), CALL_TIMEOUT));
        assertEquals(List.of("completed"), callStatuses(callbacks), "the number's status callbacks");
        assertCallParams(callbacks.get(0), account, sid, CALLER, IVR_NUMBER, "inbound", "completed");
    }

    // A speech <Gather> hands the caller's words to its action as SpeechResult (with a
    // Confidence, no Digits); a <Record> with finishOnKey records until # and asks its action
    // with RecordingSid, RecordingUrl, RecordingDuration and Digits=#. The recording is the
    // SDK's to fetch and list, for the account and for the call, and its RecordingUrl and
    // media_url download, without credentials, a WAV as long as the recording.
    @Test
    void aVoicemailIsRecordedAndItsRecordingFetchedListedAndDownloaded(Tenant account, WebhookReceiver app)
            throws Exception {
        TwilioRestClient client = account.twilioClient();
        serve(account, app, Map.of(
                "/voice", request -> new VoiceResponse.Builder()
                        .gather(new Gather.Builder().inputs(Gather.Input.SPEECH).language(Gather.Language.EN_US)
                                .hints("sales, message").action("/heard").timeout(30)
                                .say(say("Say sales, or leave a message.")).build())
                        .build(),
                "/heard", request -> new VoiceResponse.Builder()
                        .say(say("Leave a message after the beep, then press pound."))
                        .record(new Record.Builder().action("/voicemail").finishOnKey("#").timeout(30).maxLength(60)
                                .playBeep(true).build())
                        .build(),
                "/voicemail", request -> new VoiceResponse.Builder()
                        .say(say("Thank you. Goodbye.")).hangup(hangup()).build()));
        String sid = place(client, REGISTERED_NUMBER, URI.create(app.url("/voice"))).getSid();
        var call = listening(account, sid);
        assertEquals("gather", call.waitingFor(), "the call waits in its gather");

        call.say("leave a message");
        assertEquals("record", call.waitingFor(), call.toString());
        WebhookReceiver.ReceivedRequest heard = only(app, "/heard");
        assertEquals("leave a message", heard.form().get("SpeechResult"));
        double confidence = Double.parseDouble(heard.form().getOrDefault("Confidence", "NaN"));
        assertTrue(confidence >= 0 && confidence <= 1, "Confidence of " + heard);
        assertFalse(heard.form().containsKey("Digits"), "a speech result carries Digits: " + heard);

        call.say("Hi, it is Ann, call me back please");
        call.press("#");
        assertEquals("completed", call.status(), call.toString());
        assertEquals("Thank you. Goodbye.", call.said().get(call.said().size() - 1), "said: " + call);

        WebhookReceiver.ReceivedRequest voicemail = only(app, "/voicemail");
        assertCallParams(voicemail, account, sid, FROM_NUMBER, REGISTERED_NUMBER, "outbound-api", "in-progress");
        assertEquals("#", voicemail.form().get("Digits"));
        String recordingSid = voicemail.form().get("RecordingSid");
        assertTrue(recordingSid != null && RECORDING_SID.matcher(recordingSid).matches(), "RecordingSid " + recordingSid);

        Recording recording = Recording.fetcher(recordingSid).fetch(client);
        assertEquals(sid, recording.getCallSid());
        assertEquals(Recording.Source.RECORD_VERB, recording.getSource());
        assertEquals(voicemail.form().get("RecordingDuration"), recording.getDuration(), "duration");
        // Twilio names one URL in both. Here the SDK reaches the server as localhost (see
        // MockingbirdHttpClient) and the webhook names its listener, 127.0.0.1: the same path.
        String recordingUrl = voicemail.form().get("RecordingUrl");
        assertEquals(URI.create(recordingUrl).getPath(), recording.getMediaUrl().getPath(), "RecordingUrl and media_url");
        assertNotNull(recording.getDateCreated(), "date_created did not parse as RFC 2822");
        assertEquals(List.of(recordingSid), sids(Recording.reader().setCallSid(sid).read(client), Recording::getSid),
                "the account's recordings of the call");
        assertEquals(List.of(recordingSid),
                sids(com.twilio.rest.api.v2010.account.call.Recording.reader(sid).read(client),
                        com.twilio.rest.api.v2010.account.call.Recording::getSid),
                "the call's recordings");

        int seconds = Integer.parseInt(recording.getDuration());
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        for (String media : List.of(recordingUrl, recording.getMediaUrl().toString(), recording.getMediaUrl() + ".wav")) {
            HttpResponse<byte[]> audio = http.send(HttpRequest.newBuilder(URI.create(media)).timeout(CALL_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, audio.statusCode(), "GET " + media);
            assertEquals("audio/x-wav", audio.headers().firstValue("Content-Type").orElse(null), "GET " + media);
            byte[] wav = audio.body();
            assertArrayEquals("RIFF".getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(wav, 0, 4), "GET " + media);
            assertArrayEquals("WAVE".getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(wav, 8, 12), "GET " + media);
            assertEquals(44 + seconds * 16_000, wav.length, "8 kHz mono 16-bit for " + seconds + " s: GET " + media);
        }
    }

    // <Reject reason="busy"> as the first verb of an inbound call leaves it unanswered: busy,
    // with no start time and no duration, nothing said, and `busy` reported to the number's
    // StatusCallback.
    @Test
    void rejectAsTheFirstVerbLeavesTheCallBusyAndUnanswered(Tenant account, WebhookReceiver app) throws Exception {
        TwilioRestClient client = account.twilioClient();
        serve(account, app, Map.of("/voice", request -> new VoiceResponse.Builder()
                .reject(new Reject.Builder().reason(Reject.Reason.BUSY).build())
                .say(say("Never said."))
                .build()));
        IncomingPhoneNumber.creator(new PhoneNumber(IVR_NUMBER))
                .setVoiceUrl(URI.create(app.url("/voice")))
                .setStatusCallback(URI.create(app.url("/status")))
                .create(client);

        var call = account.placeCall(CALLER, IVR_NUMBER);
        assertEquals("busy", call.status(), call.toString());
        assertEquals(List.of(), call.said(), "said: " + call);
        Call fetched = Call.fetcher(call.sid()).fetch(client);
        assertEquals(Call.Status.BUSY, fetched.getStatus());
        assertEquals("inbound", fetched.getDirection());
        assertNull(fetched.getStartTime(), "start_time of a call never answered");
        assertNull(fetched.getDuration(), "duration of a call never answered");

        List<WebhookReceiver.ReceivedRequest> callbacks = to("/status", app.waitFor(reported("/status", "busy"), CALL_TIMEOUT));
        assertEquals(List.of("busy"), callStatuses(callbacks), "the number's status callbacks");
        assertCallParams(callbacks.get(0), account, call.sid(), CALLER, IVR_NUMBER, "inbound", "busy");
    }
}
