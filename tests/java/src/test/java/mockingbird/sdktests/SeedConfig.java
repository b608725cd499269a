package mockingbird.sdktests;

import dev.mockingbird.testing.Mockingbird;
import dev.mockingbird.testing.MockingbirdExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The suite's config file, tests/seed-config.yaml: the default account (an SDK-valid SID and an
 * alphanumeric token) with its registered, allowed and failure numbers, and each step of a
 * message's or call's life 0.1 s after the last. The constants are the values the tests use from
 * it; the file is read and checked against them once, when this class is loaded.
 */
final class SeedConfig {
    static final String ACCOUNT_SID = "AC" + "a".repeat(32); // "AC" + 32 hex digits
    static final String AUTH_TOKEN = "mockingbirdtesttoken0123456789ab"; // alphanumeric
    static final String FROM_NUMBER = "+15550000001";
    static final String REGISTERED_NUMBER = "+15551234567";
    static final String FAILURE_NUMBER = "+15559999999";

    /** Maven runs the tests in tests/java. */
    static final String YAML = read(Path.of("..", "seed-config.yaml"));

    private SeedConfig() {}

    /**
     * The config file's text, once it is checked to name the constants above (the suite has no
     * YAML parser, so it looks for each line {@code key: "value"} or {@code key: ["value"]}), so
     * that the two cannot drift.
     */
    private static String read(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> named = Map.of(
                "account_sid", ACCOUNT_SID,
                "auth_token", AUTH_TOKEN,
                "allowed_from_numbers", FROM_NUMBER,
                "registered_numbers", REGISTERED_NUMBER,
                "failure_numbers", FAILURE_NUMBER);
        Set<String> lines = text.lines().map(String::strip).collect(Collectors.toSet());
        named.forEach((key, value) -> {
            if (!lines.contains(key + ": \"" + value + "\"") && !lines.contains(key + ": [\"" + value + "\"]")) {
                throw new IllegalStateException(path.toAbsolutePath().normalize() + " does not say " + key + ": \"" + value
                        + "\", as SeedConfig.java does: change both together");
            }
        });
        return text;
    }

    /**
     * A server started with this config for each test (the extension in an instance field, which
     * JUnit makes anew per test), so that no test sees another's messages, subaccounts or
     * callbacks; each test's {@code Tenant} is the config's account.
     */
    static MockingbirdExtension serverPerTest() {
        return MockingbirdExtension.starting(new Mockingbird.Options().config(YAML)).tenants(Mockingbird::defaultTenant);
    }
}
