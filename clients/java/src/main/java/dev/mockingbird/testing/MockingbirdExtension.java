package dev.mockingbird.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * JUnit 5: a server, and for each test a {@link Tenant} of its own (deleted after it) and a
 * {@link WebhookReceiver} (closed after it), as parameters of the test method.
 *
 * <pre>{@code
 * @ExtendWith(MockingbirdExtension.class)
 * class CheckoutTest {
 *     @Test
 *     void sends_the_code(Tenant tenant, WebhookReceiver app) { ... }
 * }
 * }</pre>
 *
 * With {@code @ExtendWith}, every class shares one server per test run: the binary started on
 * free ports ({@code MOCKINGBIRD_BIN}, or {@code mockingbird} on PATH), or, when {@code
 * MOCKINGBIRD_GRPC} or {@code MOCKINGBIRD_READY_FILE} is set, the running server they name. A
 * class that needs its own settings registers its own, started for that class alone:
 *
 * <pre>{@code
 * @RegisterExtension
 * static MockingbirdExtension mockingbird = MockingbirdExtension.starting(
 *         new Mockingbird.Options().set("twilio.callbacks.retry_attempts", "1"));
 * }</pre>
 *
 * A test that fails carries the end of the server's log (a suppressed exception).
 */
public final class MockingbirdExtension
        implements BeforeAllCallback, AfterAllCallback, AfterEachCallback, ParameterResolver, TestExecutionExceptionHandler {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MockingbirdExtension.class);
    private static final int LOG_TAIL_CHARS = 8000;

    private final Mockingbird.Options options; // null: the run's shared server
    private Mockingbird ownServer;

    /** The run's shared server (what {@code @ExtendWith(MockingbirdExtension.class)} uses). */
    public MockingbirdExtension() {
        this.options = null;
    }

    private MockingbirdExtension(Mockingbird.Options options) {
        this.options = options;
    }

    /** A server of the class's own, started with these options before its first test. */
    public static MockingbirdExtension starting(Mockingbird.Options options) {
        return new MockingbirdExtension(options);
    }

    /** The server tests of this class use. */
    public Mockingbird server(ExtensionContext context) {
        if (options != null) {
            if (ownServer == null) {
                ownServer = Mockingbird.start(options);
            }
            return ownServer;
        }
        // In the root context's store: started once, closed by JUnit when the run ends.
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Mockingbird.class,
                key -> Mockingbird.environmentNamesServer() ? Mockingbird.connect() : Mockingbird.start(),
                Mockingbird.class);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context); // a server that cannot start fails the class once, not each test
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (ownServer != null) {
            ownServer.close();
            ownServer = null;
        }
    }

    /** What one test was given. */
    private static final class PerTest {
        Tenant tenant;
        WebhookReceiver receiver;
    }

    private static PerTest perTest(ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(PerTest.class, key -> new PerTest(), PerTest.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Mockingbird.class || type == Tenant.class || type == WebhookReceiver.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == Mockingbird.class) {
            return server(context);
        }
        PerTest given = perTest(context);
        if (type == Tenant.class) {
            if (given.tenant == null) {
                given.tenant = server(context).tenant(context.getDisplayName());
            }
            return given.tenant;
        }
        if (given.receiver == null) {
            given.receiver = WebhookReceiver.start();
        }
        return given.receiver;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        String log;
        try {
            log = server(context).log();
        } catch (RuntimeException e) {
            throw failure; // no server to tell about: the failure as it is
        }
        if (!log.isEmpty()) {
            String tail = log.length() > LOG_TAIL_CHARS ? "…" + log.substring(log.length() - LOG_TAIL_CHARS) : log;
            failure.addSuppressed(new ServerLog("--- mockingbird log (" + context.getDisplayName() + ") ---\n" + tail));
        }
        throw failure;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        PerTest given = perTest(context);
        if (given.receiver != null) {
            given.receiver.close();
        }
        if (given.tenant != null) {
            given.tenant.close(); // deletes it, and closes the SDK clients made for it
        }
    }

    /** The server's log attached to a failure: text only, no stack trace of its own. */
    static final class ServerLog extends Exception {
        private static final long serialVersionUID = 1L;

        ServerLog(String text) {
            super(text, null, false, false);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
