package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * A server of each test's own (the extension in an instance field), started with a config file,
 * handing each test the config's account as its tenant; and one that crashes failing its test.
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

    /** A "server" that writes its ready file and exits at once, as a crash would leave it. */
    static Path crashingBinary;

    /** Run by the test below (Surefire skips nested classes): its server crashes. */
    static class AServerThatCrashes {
        @RegisterExtension
        final MockingbirdExtension mockingbird = MockingbirdExtension.starting(new Mockingbird.Options().binary(crashingBinary));

        @Test
        void theTestItselfPasses(Mockingbird server) throws InterruptedException {
            // The fake exits just after its ready file: until it has, there is no crash to see.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!server.crashed() && System.nanoTime() < deadline) {
                Thread.sleep(10); // a process's exit has nothing to wait on but its handle, which stays inside Mockingbird
            }
        }
    }

    @Test
    void aServerThatExitsDuringATestFailsIt(@TempDir Path dir) throws Exception {
        crashingBinary = Files.writeString(dir.resolve("mockingbird"), """
                #!/bin/sh
                while [ $# -gt 0 ]; do [ "$1" = --ready-file ] && ready="$2"; shift; done
                echo '{"http":"127.0.0.1:9","grpc":"127.0.0.1:9"}' > "$ready"
                """);
        Files.setPosixFilePermissions(crashingBinary, PosixFilePermissions.fromString("rwx------"));

        Events failed = EngineTestKit.engine("junit-jupiter")
                .selectors(DiscoverySelectors.selectClass(AServerThatCrashes.class))
                .execute().testEvents().failed();

        assertEquals(1, failed.count());
        Throwable failure = failed.list().get(0).getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();
        assertTrue(failure.getMessage().contains("mockingbird exited during the test"), failure.toString());
    }
}
