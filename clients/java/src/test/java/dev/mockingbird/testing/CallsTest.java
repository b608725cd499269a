package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.http.TwilioRestClient;
import com.twilio.twiml.VoiceResponse;
import com.twilio.twiml.voice.Gather;
import com.twilio.twiml.voice.Pause;
import com.twilio.twiml.voice.Say;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.v1.CallStatus;
import dev.mockingbird.v1.Event;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Calls: the test as the caller of the app's IVR, and as the callee of a call the app places.
 * The app's TwiML is written with twilio-java's own VoiceResponse.
 */
@ExtendWith(MockingbirdExtension.class)
class CallsTest {
    static final String NUMBER = "+15550101010"; // the app's number
    static final String CALLER = "+15557654321";

    static String menu(WebhookReceiver.ReceivedRequest request) {
        Gather gather = new Gather.Builder()
                .inputs(List.of(Gather.Input.DTMF, Gather.Input.SPEECH)).numDigits(1).action("/menu").timeout(5)
                .say(new Say.Builder("Press 1 for sales, 2 for support.").build())
                .build();
        return new VoiceResponse.Builder().gather(gather).build().toXml();
    }

    static String chosen(WebhookReceiver.ReceivedRequest request) {
        String spoken = request.form().getOrDefault("SpeechResult", "").toLowerCase(Locale.ROOT);
        String line = Map.of("1", "sales", "2", "support").getOrDefault(request.form().getOrDefault("Digits", ""),
                spoken.contains("sales") ? "sales" : spoken.contains("support") ? "support" : "nobody");
        return new VoiceResponse.Builder()
                .say(new Say.Builder("Connecting you to " + line + ".").build())
                .pause(new Pause.Builder().length(30).build()) // on hold until the caller hangs up
                .build().toXml();
    }

    @Test
    void aCallerPicksSalesFromTheMenuAndHangsUp(Tenant tenant, WebhookReceiver app) {
        app.route("/voice", CallsTest::menu).route("/menu", CallsTest::chosen);
        tenant.numbers().add(NUMBER, n -> n.setVoiceUrl(app.url("/voice")));

        Call call = tenant.placeCall(CALLER, NUMBER);
        assertEquals("gather", call.waitingFor());
        assertEquals(List.of("Press 1 for sales, 2 for support."), call.said());
        assertTrue(call.transcriptLines().contains("said \"Press 1 for sales, 2 for support.\""), call.toString());

        call.press("1");
        assertEquals("Connecting you to sales.", call.said().get(call.said().size() - 1));
        WebhookReceiver.ReceivedRequest choice = app.waitForRequest("/menu");
        assertEquals("1", choice.form().get("Digits"));
        assertTrue(choice.twilioSignatureValid(tenant.authToken()));

        call.hangUp();
        assertEquals("completed", call.status());
        Event ended = tenant.waitFor(EventQuery.of("call_status_changed").sid(call.sid()).callStatus("completed"));
        assertEquals(CallStatus.CALL_STATUS_IN_PROGRESS, ended.getCallStatusChanged().getPrevious());
    }

    @Test
    void aCallerAsksForSupportInWords(Tenant tenant, WebhookReceiver app) {
        app.route("/voice", CallsTest::menu).route("/menu", CallsTest::chosen);
        tenant.numbers().add(NUMBER, n -> n.setVoiceUrl(app.url("/voice")));

        Call call = tenant.placeCall(CALLER, NUMBER).say("support please");

        assertEquals("Connecting you to support.", call.said().get(call.said().size() - 1));
        assertEquals("support please", app.waitForRequest("/menu").form().get("SpeechResult"));
        Event heard = tenant.waitFor(EventQuery.of("call_verb").sid(call.sid()).bodyContains("Connecting you to support"));
        assertEquals("said", heard.getCallVerb().getEntry().getType());
        call.hangUp();
    }

    @Test
    void aCallTheAppPlacesRingsUntilTheTestAnswers(Tenant tenant, WebhookReceiver app) {
        app.route("/outbound", new VoiceResponse.Builder().say(new Say.Builder("Your table is ready.").build()).build().toXml());
        tenant.numbers().add(NUMBER);
        tenant.rules().add(Rules.calls().to(CALLER).rings());
        tenant.clock().freeze();
        TwilioRestClient twilio = tenant.twilioClient();

        com.twilio.rest.api.v2010.account.Call placed = com.twilio.rest.api.v2010.account.Call
                .creator(new PhoneNumber(CALLER), new PhoneNumber(NUMBER), URI.create(app.url("/outbound")))
                .create(twilio);
        tenant.clock().advance(Duration.ofSeconds(5));
        tenant.waitFor(EventQuery.of("call_status_changed").sid(placed.getSid()).callStatus("ringing"));

        Call call = tenant.call(placed.getSid()).answer();
        assertEquals(List.of("Your table is ready."), call.said());
        assertEquals("completed", call.status());
        assertEquals(com.twilio.rest.api.v2010.account.Call.Status.COMPLETED,
                com.twilio.rest.api.v2010.account.Call.fetcher(placed.getSid()).fetch(twilio).getStatus());
    }
}
