package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import dev.mockingbird.v1.Event;
import dev.mockingbird.v1.EventKind;
import dev.mockingbird.v1.ListTenantsRequest;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Waiting and subscribing, the tenant's lifetime, and connecting to a running server. */
@ExtendWith(MockingbirdExtension.class)
class EventsTest {
    static final String NUMBER = "+15550101010";
    static final String USER = "+15557654321";

    @Test
    void waitForFailsWithTheServersExplanationOfTheNearMisses(Tenant tenant) {
        tenant.numbers().add(NUMBER);
        tenant.clock().freeze();
        Message message = Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "hello").create(tenant.twilioClient());

        // The clock is frozen: the message stays queued, so "delivered" never comes.
        EventNotFound missed = assertThrows(EventNotFound.class, () -> tenant.waitFor(
                EventQuery.of("message_status_changed").sid(message.getSid()).status("delivered").timeout(Duration.ofMillis(300))));

        assertTrue(missed instanceof AssertionError);
        // The server's explanation: the nearest events, each with what it got wrong.
        assertTrue(missed.getMessage().contains(message.getSid()), "names the near miss: " + missed.getMessage());
        assertTrue(missed.getMessage().contains("status is queued, wanted delivered"), missed.getMessage());
    }

    @Test
    void subscribeStreamsTheTenantsEventsAndTimesOutWhenNoneCome(Tenant tenant) {
        tenant.numbers().add(NUMBER);
        tenant.clock().freeze();
        try (EventStream events = tenant.subscribe(EventQuery.of(EventKind.EVENT_KIND_MESSAGE_STATUS_CHANGED).timeout(Duration.ofSeconds(5)))) {
            Message message = Message.creator(new PhoneNumber(USER), new PhoneNumber(NUMBER), "hello").create(tenant.twilioClient());
            tenant.clock().advance(Duration.ofSeconds(5));

            List<String> statuses = events.stream().limit(2)
                    .peek(e -> assertEquals(message.getSid(), e.getMessageStatusChanged().getSid()))
                    .map(e -> Names.twilioName(e.getMessageStatusChanged().getStatus(), "MESSAGE_STATUS_"))
                    .collect(Collectors.toList());
            assertEquals(List.of("sent", "delivered"), statuses);

            // Nothing more happens: a read gives up after the time it is given.
            assertThrows(EventNotFound.class, () -> events.next(Duration.ofMillis(200)));
        }
    }

    @Test
    void aTenantIsDeletedWhenClosedAndTheDefaultOneStays(Mockingbird server) {
        String sid;
        try (Tenant tenant = server.tenant("short-lived")) {
            sid = tenant.accountSid();
            assertTrue(sid.startsWith("AC"));
            assertFalse(tenant.authToken().isEmpty());
            assertTrue(tenant.apiKeySid().startsWith("SK"));
            assertFalse(tenant.whatsapp().getPhoneNumberId().isEmpty());
            assertTrue(listedSids(server).contains(sid));
        }
        assertFalse(listedSids(server).contains(sid));
        Tenant fallback = server.defaultTenant();
        fallback.close(); // not ours to delete
        assertTrue(listedSids(server).contains(fallback.accountSid()));
    }

    @Test
    void connectReachesARunningServerByItsAddress(Mockingbird server) {
        try (Mockingbird connected = Mockingbird.connect(server.grpcAddress(), null); Tenant tenant = connected.tenant("connected")) {
            Event created = tenant.waitFor(EventQuery.of("tenant_created"));
            assertEquals("connected", created.getTenantCreated().getLabel());
        }
    }

    private static List<String> listedSids(Mockingbird server) {
        return server.stubs().tenants().listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList().stream()
                .map(dev.mockingbird.v1.Tenant::getAccountSid).collect(Collectors.toList());
    }
}
