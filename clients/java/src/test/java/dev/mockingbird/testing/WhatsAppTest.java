package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.v1.Event;
import dev.mockingbird.v1.SendWhatsAppInboundResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * WhatsApp both ways: the Cloud API (a simulated user writes, the app answers through the
 * Graph API, every webhook signed with the app secret) and Twilio's WhatsApp channel through
 * the official SDK.
 */
@ExtendWith(MockingbirdExtension.class)
class WhatsAppTest {
    static final String WA_USER = "263778177125"; // the user's WhatsApp number (wa_id)
    static final String NUMBER = "+15550101010";
    static final String USER = "+15557654321";

    /** One status object of a Cloud API webhook ({@code "sent to 263…"}), with the request that carried it. */
    record StatusWebhook(WebhookReceiver.ReceivedRequest request, String status) {}

    /** The status objects about message {@code wamid} in these Cloud API webhooks, in order. */
    static List<StatusWebhook> statusWebhooks(List<WebhookReceiver.ReceivedRequest> seen, String wamid) {
        List<StatusWebhook> found = new ArrayList<>();
        for (WebhookReceiver.ReceivedRequest request : seen) {
            for (JsonNode entry : request.json().path("entry")) {
                for (JsonNode change : entry.path("changes")) {
                    for (JsonNode status : change.path("value").path("statuses")) {
                        if (status.path("id").asText().equals(wamid)) {
                            found.add(new StatusWebhook(request, status.path("status").asText() + " to " + status.path("recipient_id").asText()));
                        }
                    }
                }
            }
        }
        return found;
    }

    @Test
    void aUserMessageAndTheAppsReplyComeWithSignedWebhooks(Tenant tenant, WebhookReceiver app)
            throws IOException, InterruptedException {
        tenant.setWhatsAppWebhook(app.url("/whatsapp"));
        tenant.clock().freeze();
        WhatsAppUser user = tenant.whatsappUser(WA_USER, "Tendai");

        // The user writes: the app receives Meta's envelope, signed with the app secret.
        SendWhatsAppInboundResponse sent = user.sendText("Where is my order?");
        assertEquals(200, sent.getHttpStatus());
        WebhookReceiver.ReceivedRequest inbound = app.waitForRequest("/whatsapp");
        assertTrue(inbound.metaSignatureValid(tenant.whatsapp().getAppSecret()));
        assertFalse(inbound.metaSignatureValid("another-secret"));
        JsonNode value = inbound.json().at("/entry/0/changes/0/value");
        assertEquals(tenant.whatsapp().getPhoneNumberId(), value.at("/metadata/phone_number_id").asText());
        assertEquals("Where is my order?", value.at("/messages/0/text/body").asText());

        // The app answers through the Cloud API, as this tenant's business number.
        String reply = "{\"messaging_product\":\"whatsapp\",\"to\":\"" + WA_USER
                + "\",\"type\":\"text\",\"text\":{\"body\":\"On its way\"}}";
        HttpResponse<String> answered = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build().send(
                HttpRequest.newBuilder(URI.create(tenant.cloudApiMessagesUrl()))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + tenant.whatsapp().getAccessToken())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(reply)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answered.statusCode(), answered.body());
        String wamid = new ObjectMapper().readTree(answered.body()).at("/messages/0/id").asText();
        Event created = tenant.waitFor(EventQuery.of("message_created").after(sent.getAfterSequence()).to(WA_USER).whatsappTypes("text"));
        assertEquals(wamid, created.getMessageCreated().getMessage().getSid());

        // Time passes: sent and delivered status webhooks, each signed.
        tenant.clock().advance(Duration.ofSeconds(10));
        tenant.waitFor(EventQuery.of("message_status_changed").sid(wamid).status("delivered"));
        app.waitFor(seen -> statusWebhooks(seen, wamid).size() >= 2, WebhookReceiver.DEFAULT_TIMEOUT);
        List<StatusWebhook> webhooks = statusWebhooks(app.requests(), wamid);
        assertEquals(List.of("sent to " + WA_USER, "delivered to " + WA_USER),
                webhooks.stream().map(StatusWebhook::status).limit(2).collect(Collectors.toList()));
        webhooks.forEach(webhook -> assertTrue(webhook.request().metaSignatureValid(tenant.whatsapp().getAppSecret()), webhook.request().toString()));

        List<String> conversation = user.conversation().getMessagesList().stream()
                .map(m -> parse(m.getWhatsapp().getContent()).path("body").asText()).collect(Collectors.toList());
        assertEquals(List.of("Where is my order?", "On its way"), conversation);
    }

    @Test
    void aWhatsAppReplyThroughTwilioReportsReadInSignedCallbacks(Tenant tenant, WebhookReceiver app) {
        app.route("/whatsapp", "<Response/>");
        tenant.numbers().add(NUMBER, n -> n.setSmsUrl(app.url("/whatsapp")));
        tenant.clock().freeze();

        tenant.inboundSms("whatsapp:" + USER, NUMBER, "Hi there", r -> r.setProfileName("Ada"));
        WebhookReceiver.ReceivedRequest inbound = app.waitForRequest("/whatsapp");
        assertEquals(USER.substring(1), inbound.form().get("WaId"));
        assertEquals("Ada", inbound.form().get("ProfileName"));
        assertTrue(inbound.twilioSignatureValid(tenant.authToken()));

        TwilioRestClient twilio = tenant.twilioClient();
        Message message = Message.creator(new PhoneNumber("whatsapp:" + USER), new PhoneNumber("whatsapp:" + NUMBER), "Hello Ada")
                .setStatusCallback(URI.create(app.url("/status"))).create(twilio);
        tenant.clock().advance(Duration.ofSeconds(10));
        tenant.waitFor(EventQuery.of("message_status_changed").sid(message.getSid()).status("read"));
        WebhookReceiver.ReceivedRequest read = app.waitForRequest("/status", "MessageStatus", "read");
        assertTrue(read.twilioSignatureValid(tenant.authToken()));
    }

    private static JsonNode parse(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
