package dev.mockingbird.testing;

import java.util.List;
import java.util.function.Function;
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
 * class that needs its own settings registers its own, started for that class alone (a static
 * field), or for each test (an instance field: JUnit makes one per test):
 *
 * <pre>{@code
 * @RegisterExtension
 * static MockingbirdExtension mockingbird = MockingbirdExtension.starting(
 *         new Mockingbird.Options().set("twilio.callbacks.retry_attempts", "1"));
 * }</pre>
 *
 * A test that fails carries the end of the server's log (a suppressed exception); a server
 * that crashed during it, or a route of its receiver that threw, fails it.
 */
public final class MockingbirdExtension
        implements BeforeAllCallback, AfterEachCallback, ParameterResolver, TestExecutionExceptionHandler {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MockingbirdExtension.class);
    private static final int LOG_TAIL_CHARS = 8000;

    private final Mockingbird.Options options; // null: the run's shared server
    private Function<Mockingbird, Tenant> tenants = server -> null; // null: a new one per test

    /** The run's shared server (what {@code @ExtendWith(MockingbirdExtension.class)} uses). */
    public MockingbirdExtension() {
        this.options = null;
    }

    private MockingbirdExtension(Mockingbird.Options options) {
        this.options = options;
    }

    /**
     * A server of the class's own, started with these options before its first test (a static
     * {@code @RegisterExtension} field), or of each test's own (an instance field).
     */
    public static MockingbirdExtension starting(Mockingbird.Options options) {
        return new MockingbirdExtension(options);
    }

    /**
     * Hands each test this tenant instead of a new one, e.g. {@code
     * tenants(Mockingbird::defaultTenant)} for a suite about the config file's account on a
     * server of each test's own. A tenant found rather than created stays after the test.
     */
    public MockingbirdExtension tenants(Function<Mockingbird, Tenant> tenants) {
        this.tenants = tenants;
        return this;
    }

    /** The server tests of this class use. */
    public Mockingbird server(ExtensionContext context) {
        // The shared one in the root context's store: started once, closed by JUnit when the run
        // ends. An own one in the store of the context that first asks for it: the class's
        // (beforeAll, for a static field) or the test's (an instance field has no beforeAll), so
        // that JUnit closes it with the class, or with the test.
        return store(context).getOrComputeIfAbsent(key(),
                key -> options != null ? Mockingbird.start(options)
                        : Mockingbird.environmentNamesServer() ? Mockingbird.connect() : Mockingbird.start(),
                Mockingbird.class);
    }

    /** The server, if one was started or connected for this context; null otherwise. */
    private Mockingbird serverIfAny(ExtensionContext context) {
        return store(context).get(key(), Mockingbird.class);
    }

    private ExtensionContext.Store store(ExtensionContext context) {
        return (options == null ? context.getRoot() : context).getStore(NAMESPACE);
    }

    private Object key() {
        return options == null ? Mockingbird.class : this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context); // a server that cannot start fails the class once, not each test
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
                Mockingbird server = server(context);
                Tenant chosen = tenants.apply(server);
                given.tenant = chosen != null ? chosen : server.tenant(context.getDisplayName());
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
        Mockingbird server = serverIfAny(context);
        String log = server == null ? "" : server.log();
        if (!log.isEmpty()) {
            failure.addSuppressed(new ServerLog(logTail(context, log)));
        }
        throw failure;
    }

    private static String logTail(ExtensionContext context, String log) {
        String tail = log.length() > LOG_TAIL_CHARS ? "…" + log.substring(log.length() - LOG_TAIL_CHARS) : log;
        return "--- mockingbird log (" + context.getDisplayName() + ") ---\n" + tail;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        PerTest given = perTest(context);
        if (given.receiver != null) {
            given.receiver.close();
        }
        Mockingbird server = serverIfAny(context);
        if (server != null && server.crashed()) {
            // Whatever the test saw, a crash is the server's failure and this test's to report
            // (its tenants went with it: there is nothing left to delete).
            throw new AssertionError("mockingbird exited during the test\n" + logTail(context, server.log()));
        }
        if (given.tenant != null) {
            given.tenant.close(); // deletes one made for the test, and closes the SDK clients made for it
        }
        List<Throwable> routeFailures = given.receiver == null ? List.of() : given.receiver.failures();
        if (!routeFailures.isEmpty()) {
            // Thrown on the receiver's threads, the test never saw them: they fail it here.
            AssertionError failed = new AssertionError("webhook receiver: " + routeFailures.size() + " route(s) failed, the first: "
                    + routeFailures.get(0).getMessage(), routeFailures.get(0));
            routeFailures.stream().skip(1).forEach(failed::addSuppressed);
            throw failed;
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
