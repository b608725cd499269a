package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.v1.CallStatus;
import dev.mockingbird.v1.CallbackAttempt;
import dev.mockingbird.v1.ClockState;
import dev.mockingbird.v1.MessageStatus;
import dev.mockingbird.v1.RejectCallRequest;
import dev.mockingbird.v1.Rule;
import dev.mockingbird.v1.UpdateWhatsAppSettingsResponse;
import dev.mockingbird.v1.VerifyWebhookResponse;
import dev.mockingbird.v1.WhatsAppSettings;
import dev.mockingbird.v1.WindowPolicy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every control-plane call through the layer, a test per service, for what the scenario tests
 * do not reach: tenants, numbers, rules, the clock, messages set and redelivered by hand, calls
 * listed and rejected, the WhatsApp settings and handshake.
 */
@ExtendWith(MockingbirdExtension.class)
class ControlPlaneTest {
    static final String NUMBER = "+15550101010"; // the tenant's number
    static final String USER = "+15557654321";

    @Test
    void tenantsAreFoundListedResetAndDeleted(Mockingbird server) {
        try (Tenant tenant = server.tenant("control-plane")) {
            assertEquals(tenant.authToken(), server.account(tenant.accountSid()).authToken());
            List<String> listed = server.tenants().stream().map(Tenant::accountSid).collect(Collectors.toList());
            assertTrue(listed.containsAll(List.of(tenant.accountSid(), server.defaultTenant().accountSid())), listed.toString());

            // A reset drops the tenant's messages and keeps its credentials and numbers.
            tenant.numbers().add(NUMBER);
            Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "before the reset").create(tenant.twilioClient());
            assertEquals(1, tenant.messages().list("", "").size());
            long reset = tenant.reset();
            assertEquals(List.of(), tenant.messages().list("", ""));
            assertEquals(NUMBER, tenant.numbers().list().get(0).getPhoneNumber());
            assertEquals(tenant.authToken(), server.account(tenant.accountSid()).authToken());
            assertEquals(reset, tenant.waitFor(EventQuery.of("data_cleared")).getSequence());

            tenant.delete();
            StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> server.account(tenant.accountSid()));
            assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        }
    }

    @Test
    void aNumbersWebhookIsUpdatedInPlaceAndTheNumberRemoved(Tenant tenant, WebhookReceiver app) {
        tenant.numbers().add(NUMBER);
        dev.mockingbird.v1.PhoneNumber updated = tenant.numbers().update(NUMBER, n -> n.setSmsUrl(app.url("/sms")).setFriendlyName("front desk"));
        assertEquals(app.url("/sms"), updated.getSmsUrl());
        assertEquals("front desk", tenant.numbers().list().get(0).getFriendlyName());

        tenant.inboundSms(USER, NUMBER, "hello");
        assertEquals("hello", app.waitForRequest("/sms").form().get("Body"));

        tenant.numbers().remove(NUMBER);
        assertEquals(List.of(), tenant.numbers().list());
    }

    @Test
    void rulesAreReplacedListedAndCleared(Tenant tenant) {
        tenant.rules().add(Rules.to(USER).named("first").delivered());
        List<Rule> replaced = tenant.rules().replace(
                Rules.to(USER).named("second").undelivered(30003), Rules.toPrefix("+1555").named("third").reject(21610));
        assertEquals(List.of("second", "third"), ids(replaced));
        assertEquals(List.of("second", "third"), ids(tenant.rules().list()));

        tenant.rules().clear();
        assertEquals(List.of(), tenant.rules().list());
    }

    @Test
    void theClockIsFrozenAdvancedReadAndResumed(Tenant tenant) {
        ClockState frozen = tenant.clock().freeze();
        assertTrue(frozen.getFrozen());
        ClockState later = tenant.clock().advance(Duration.ofMinutes(5));
        assertEquals(300, later.getNow().getSeconds() - frozen.getNow().getSeconds());
        assertEquals(later.getNow(), tenant.clock().state().getNow(), "a frozen clock stands still");

        assertFalse(tenant.clock().resume().getFrozen());
        assertFalse(tenant.clock().state().getFrozen());
    }

    @Test
    void aStatusSetByHandReachesTheAppAndItsCallbackIsRedelivered(Tenant tenant, WebhookReceiver app) {
        tenant.numbers().add(NUMBER);
        tenant.clock().freeze(); // nothing moves but what the test does
        TwilioRestClient twilio = tenant.twilioClient();
        Message sent = Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "hello")
                .setStatusCallback(URI.create(app.url("/status"))).create(twilio);
        assertEquals(List.of(sent.getSid()), tenant.messages().list(USER, NUMBER).stream()
                .map(dev.mockingbird.v1.Message::getSid).collect(Collectors.toList()));

        assertEquals(MessageStatus.MESSAGE_STATUS_UNDELIVERED, tenant.messages().setStatus(sent.getSid(), "undelivered", 30003).getStatus());
        assertEquals(30003, tenant.messages().get(sent.getSid()).getErrorCode());
        WebhookReceiver.ReceivedRequest callback = app.waitForRequest("/status", "MessageStatus", "undelivered");
        assertEquals("30003", callback.form().get("ErrorCode"));

        CallbackAttempt first = tenant.messages().callbackAttempts(sent.getSid()).get(0);
        assertEquals(callback.header("X-Twilio-Signature"), first.getRequestHeadersMap().get("x-twilio-signature"), "the headers as sent");
        CallbackAttempt again = tenant.messages().redeliver(first.getId());
        assertNotEquals(first.getId(), again.getId());
        assertEquals(200, again.getResponseStatus());
        List<WebhookReceiver.ReceivedRequest> twice = app.waitFor(seen -> undelivered(seen).size() == 2, WebhookReceiver.DEFAULT_TIMEOUT);
        assertTrue(undelivered(twice).get(1).twilioSignatureValid(tenant.authToken()), "signed anew");
    }

    @Test
    void callsAreListedAndACallTheAppPlacedIsRejected(Tenant tenant, WebhookReceiver app) {
        tenant.numbers().add(NUMBER);
        tenant.rules().add(Rules.calls().to(USER).rings());
        tenant.clock().freeze();
        String sid = com.twilio.rest.api.v2010.account.Call
                .creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), URI.create(app.url("/voice")))
                .create(tenant.twilioClient()).getSid();
        tenant.clock().advance(Duration.ofSeconds(5));
        tenant.waitFor(EventQuery.of("call_status_changed").sid(sid).callStatus("ringing"));

        Call call = tenant.call(sid).reject(RejectCallRequest.Reason.REASON_BUSY);
        assertEquals("busy", call.status());
        assertEquals("busy", call.refresh().status());
        assertEquals(List.of(sid), tenant.calls(r -> r.setTo(USER).setStatus(CallStatus.CALL_STATUS_BUSY)).stream()
                .map(dev.mockingbird.v1.Call::getSid).collect(Collectors.toList()));
        assertEquals(List.of(), tenant.calls(r -> r.setStatus(CallStatus.CALL_STATUS_COMPLETED)));
    }

    @Test
    void theWhatsAppSettingsAreReadAndChangedAndTheWebhookVerified(Tenant tenant, WebhookReceiver app) {
        // The app passes Meta's handshake: its own verify token in, the bare challenge out.
        app.route("/meta", request -> tenant.whatsapp().getVerifyToken().equals(request.form().get("hub.verify_token"))
                ? request.form().get("hub.challenge") : "not yours");
        WhatsAppSettings before = tenant.whatsappSettings();
        assertEquals(tenant.whatsapp().getPhoneNumberId(), before.getIdentity().getPhoneNumberId());
        assertEquals("", before.getWebhookUrl());

        UpdateWhatsAppSettingsResponse updated = tenant.updateWhatsAppSettings(r -> r
                .setWebhookUrl(app.url("/meta")).setWindow(WindowPolicy.WINDOW_POLICY_FAIL_LATER).setVerifyWebhook(true));
        assertTrue(updated.getVerification().getEchoed());
        assertEquals(WindowPolicy.WINDOW_POLICY_FAIL_LATER, tenant.whatsappSettings().getWindow());
        assertEquals(app.url("/meta"), tenant.whatsappSettings().getWebhookUrl());

        VerifyWebhookResponse verified = tenant.verifyWhatsAppWebhook(null); // the webhook URL set above
        assertTrue(verified.getEchoed());
        assertEquals(verified.getChallenge(), verified.getAttempt().getResponseBody());
        assertFalse(tenant.verifyWhatsAppWebhook(app.url("/elsewhere")).getEchoed(), "an empty 200 is no echo");
    }

    @Test
    void aWhatsAppConversationIsReadFromTheTenant(Tenant tenant, WebhookReceiver app) {
        tenant.setWhatsAppWebhook(app.url("/whatsapp"));
        tenant.whatsappUser(USER, "Ada").sendText("Hello");

        List<dev.mockingbird.v1.Message> messages = tenant.whatsappConversation(USER).getMessagesList();
        assertEquals(1, messages.size(), messages.toString());
        assertTrue(messages.get(0).getWhatsapp().getContent().contains("Hello"), messages.toString());
    }

    private static List<String> ids(List<Rule> rules) {
        return rules.stream().map(Rule::getId).collect(Collectors.toList());
    }

    private static List<WebhookReceiver.ReceivedRequest> undelivered(List<WebhookReceiver.ReceivedRequest> requests) {
        return requests.stream().filter(r -> "undelivered".equals(r.form().get("MessageStatus"))).collect(Collectors.toList());
    }
}
