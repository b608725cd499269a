package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A server of each test's own (the extension in an instance field), started with a config file,
 * handing each test the config's account as its tenant.
 */
class ServerPerTestTest {
    static final String ACCOUNT_SID = "AC" + "b".repeat(32);
    static final String NUMBER = "+15550101010";

    @RegisterExtension
    final MockingbirdExtension mockingbird = MockingbirdExtension.starting(new Mockingbird.Options().config("""
            twilio:
              account_sid: "%s"
              auth_token: "configtoken0123"
              allowed_from_numbers: ["%s"]
            """.formatted(ACCOUNT_SID, NUMBER))).tenants(Mockingbird::defaultTenant);

    @RepeatedTest(2)
    void eachTestHasAFreshServerAndTheConfigsAccountAsItsTenant(Tenant tenant) {
        assertEquals(ACCOUNT_SID, tenant.accountSid());
        assertEquals("configtoken0123", tenant.authToken());
        assertEquals(NUMBER, tenant.numbers().list().get(0).getPhoneNumber());

        // A shared server would show the other repetition's message here.
        assertEquals(List.of(), tenant.messages().list("", ""));
        Message.creator(new PhoneNumber("+15557654321"), new PhoneNumber(NUMBER), "hello").create(tenant.twilioClient());
        assertEquals(1, tenant.messages().list("", "").size());
    }
}
