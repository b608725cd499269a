package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.v1.Event;
import dev.mockingbird.v1.MessageStatus;
import dev.mockingbird.v1.SendInboundResponse;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** SMS through the official twilio-java SDK, against the real binary, on the client's extension. */
@ExtendWith(MockingbirdExtension.class)
class SmsTest {
    static final String NUMBER = "+15550101010"; // the tenant's number, which the app sends from
    static final String USER = "+15557654321"; // a user's phone

    @Test
    void aDeliveredSmsReachesTheAppAsASignedStatusCallback(Tenant tenant, WebhookReceiver app) {
        // This test's own tenant: fresh credentials, a number, a clock that moves when told to.
        tenant.numbers().add(NUMBER);
        tenant.clock().freeze();

        // The app sends with the official Twilio SDK, as the tenant, asking for status callbacks.
        TwilioRestClient twilio = tenant.twilioClient();
        Message message = Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "Your code is 1234")
                .setStatusCallback(URI.create(app.url("/status")))
                .create(twilio);
        assertEquals(Message.Status.QUEUED, message.getStatus());

        // Five seconds pass at once, and the whole lifecycle with them: queued → sent → delivered.
        tenant.clock().advance(Duration.ofSeconds(5));
        Event changed = tenant.waitFor(EventQuery.of("message_status_changed").sid(message.getSid()).status("delivered"));
        assertEquals(MessageStatus.MESSAGE_STATUS_SENT, changed.getMessageStatusChanged().getPrevious());

        // mockingbird called the app back, signed with the tenant's auth token (checked by the
        // SDK's own RequestValidator).
        WebhookReceiver.ReceivedRequest callback = app.waitForRequest("/status", "MessageStatus", "delivered");
        assertEquals(message.getSid(), callback.form().get("MessageSid"));
        assertTrue(callback.twilioSignatureValid(tenant.authToken()));
        assertFalse(callback.twilioSignatureValid("another-token"));
        Event attempted = tenant.waitFor(EventQuery.of("callback_attempted").sid(message.getSid()).status("delivered"));
        assertEquals(200, attempted.getCallbackAttempted().getAttempt().getResponseStatus());
        assertEquals(Message.Status.DELIVERED, Message.fetcher(message.getSid()).fetch(twilio).getStatus());
    }

    @Test
    void theSdkListsMessagesAcrossPages(Tenant tenant) {
        tenant.numbers().add(NUMBER);
        TwilioRestClient twilio = tenant.twilioClient();
        Set<String> sent = new HashSet<>();
        for (int n = 0; n < 5; n++) {
            sent.add(Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "message " + n).create(twilio).getSid());
        }

        Set<String> listed = new HashSet<>();
        Message.reader().pageSize(2).read(twilio).forEach(m -> listed.add(m.getSid()));

        assertEquals(sent, listed);
        List<MockingbirdHttpClient.SentRequest> pages = MockingbirdHttpClient.of(twilio).requests().stream()
                .filter(r -> r.method() == com.twilio.http.HttpMethod.GET).collect(Collectors.toList());
        assertEquals(3, pages.size(), "2 + 2 + 1, following next_page_uri through the redirect: " + pages);
        pages.forEach(page -> assertEquals(List.of("2"), page.query().get("PageSize"), page.toString()));

        MockingbirdHttpClient.of(twilio).clearRequests();
        assertEquals(List.of(), MockingbirdHttpClient.of(twilio).requests());
    }

    @Test
    void aClientWithOtherCredentialsActsAsThem(Tenant tenant) {
        TwilioRestClient withKey = tenant.twilioClient(tenant.apiKeySid(), tenant.apiKeySecret(), tenant.accountSid());
        assertEquals(List.of(), Message.reader().firstPage(withKey).getRecords());

        TwilioRestClient wrongToken = tenant.twilioClient(tenant.accountSid(), "not-the-token", tenant.accountSid());
        ApiException refused = assertThrows(ApiException.class, () -> Message.reader().firstPage(wrongToken));
        assertEquals(20003, refused.getCode());
    }

    @Test
    void aRuleThatRejectsANumberMakesTheSdkThrowTwiliosCode(Tenant tenant) {
        tenant.numbers().add(NUMBER);
        tenant.rules().add(Rules.to(USER).reject(21610));
        TwilioRestClient twilio = tenant.twilioClient();

        ApiException raised = assertThrows(ApiException.class,
                () -> Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "hello").create(twilio));

        assertEquals(400, raised.getStatusCode());
        assertEquals(21610, raised.getCode());
        assertEquals(21610, tenant.waitFor(EventQuery.of("rule_matched").to(USER)).getRuleMatched().getRejectedWith());
    }

    @Test
    void aScriptedRulePlaysSentThenUndeliveredOnTheTenantsClock(Tenant tenant) {
        tenant.numbers().add(NUMBER);
        tenant.clock().freeze();
        tenant.rules().add(Rules.to(USER).sent(Duration.ofSeconds(1)).undelivered(30007, Duration.ofSeconds(2)));
        TwilioRestClient twilio = tenant.twilioClientWithApiKey(); // the tenant's API key authenticates too

        Message message = Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "hello").create(twilio);
        tenant.clock().advance(Duration.ofSeconds(1));
        assertEquals(Message.Status.SENT, Message.fetcher(message.getSid()).fetch(twilio).getStatus());
        tenant.clock().advance(Duration.ofSeconds(2));

        Event failed = tenant.waitFor("message_status_changed", q -> q.sid(message.getSid()).status("undelivered"));
        assertEquals(30007, failed.getMessageStatusChanged().getErrorCode());
        Message fetched = Message.fetcher(message.getSid()).fetch(twilio);
        assertEquals(Message.Status.UNDELIVERED, fetched.getStatus());
        assertEquals(30007, fetched.getErrorCode());
    }

    @Test
    void anInboundSmsIsAnsweredWithTheAppsTwimlReply(Tenant tenant, WebhookReceiver app) {
        app.route("/sms", "<Response><Message>Thanks, we got it.</Message></Response>");
        tenant.numbers().add(NUMBER, n -> n.setSmsUrl(app.url("/sms")));

        SendInboundResponse sent = tenant.inboundSms(USER, NUMBER, "Is my order ready?");

        assertEquals(List.of("Thanks, we got it."),
                sent.getRepliesList().stream().map(dev.mockingbird.v1.Message::getBody).collect(Collectors.toList()));
        WebhookReceiver.ReceivedRequest webhook = app.waitForRequest("/sms");
        assertEquals("Is my order ready?", webhook.form().get("Body"));
        assertTrue(webhook.twilioSignatureValid(tenant.authToken()));
        Event reply = tenant.waitFor(EventQuery.of("message_created").to(USER).bodyContains("Thanks"));
        assertEquals(sent.getReplies(0).getSid(), reply.getMessageCreated().getMessage().getSid());
    }
}
