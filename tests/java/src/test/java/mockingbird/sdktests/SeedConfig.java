package mockingbird.sdktests;

import dev.mockingbird.testing.Mockingbird;
import dev.mockingbird.testing.MockingbirdExtension;

/**
 * The suite's config file: the default account (an SDK-valid SID and an alphanumeric token) with
 * its registered, allowed and failure numbers, and each step of a message's or call's life 0.1 s
 * after the last.
 */
final class SeedConfig {
    static final String ACCOUNT_SID = "AC" + "a".repeat(32); // "AC" + 32 hex digits
    static final String AUTH_TOKEN = "mockingbirdtesttoken0123456789ab"; // alphanumeric
    static final String FROM_NUMBER = "+15550000001";
    static final String REGISTERED_NUMBER = "+15551234567";
    static final String FAILURE_NUMBER = "+15559999999";

    static final String YAML = """
            twilio:
              account_sid: "%s"
              auth_token: "%s"
              validation:
                require_auth: true
                validate_phone_format: true
                check_from_numbers: true
                require_parameters: true
              default_behavior: success
              registered_numbers: ["%s"]
              allowed_from_numbers: ["%s"]
              failure_numbers: ["%s"]
              callbacks:
                enabled: true
                delay_seconds: 0.1
                retry_attempts: 3
                retry_delay_seconds: 0.2
                timeout_seconds: 2
            """.formatted(ACCOUNT_SID, AUTH_TOKEN, REGISTERED_NUMBER, FROM_NUMBER, FAILURE_NUMBER);

    private SeedConfig() {}

    /**
     * A server started with this config for each test (the extension in an instance field, which
     * JUnit makes anew per test), so that no test sees another's messages, subaccounts or
     * callbacks; each test's {@code Tenant} is the config's account.
     */
    static MockingbirdExtension serverPerTest() {
        return MockingbirdExtension.starting(new Mockingbird.Options().config(YAML)).tenants(Mockingbird::defaultTenant);
    }
}
