package mockingbird.sdktests;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Gives every test a fresh {@link Mockingbird} in a temporary directory (its steps as far apart
 * as the test's {@link StepDelay} says), and a {@link WebhookReceiver} if it asks for one (as
 * parameters of the test method). Afterwards both are
 * stopped and the directory removed. A test that fails carries the server's complete output (as
 * a suppressed exception, which Surefire prints with the failure's stack trace); a server that
 * exited during the test fails it, and so does a callback body that was not form-encoded.
 */
final class MockingbirdExtension
        implements BeforeEachCallback, AfterEachCallback, ParameterResolver, TestExecutionExceptionHandler {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MockingbirdExtension.class);

    /** The server's output, attached to a failure. No stack trace of its own: only the text. */
    static final class ServerOutput extends Exception {
        private static final long serialVersionUID = 1L;

        ServerOutput(String text) {
            super(text, null, false, false);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }

    /** What one test has running. */
    private static final class Resources {
        Path dir;
        Mockingbird server;
        WebhookReceiver receiver;
        boolean stopped;
        String stopProblem;
        boolean outputShown;

        /** Stops the receiver and the server (once); the output is complete afterwards. */
        void stop() throws InterruptedException {
            if (stopped) {
                return;
            }
            stopped = true;
            if (receiver != null) {
                receiver.close();
            }
            if (server != null) {
                stopProblem = server.stop();
            }
        }
    }

    private static Resources resources(ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(Resources.class, k -> new Resources(), Resources.class);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        Resources resources = resources(context);
        resources.dir = Files.createTempDirectory("mockingbird-java-");
        StepDelay delay = context.getRequiredTestMethod().getAnnotation(StepDelay.class);
        double stepDelay = delay != null ? delay.seconds() : Mockingbird.STEP_DELAY_SECONDS;
        resources.server = Mockingbird.start(resources.dir, stepDelay); // its failure carries the output
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Mockingbird.class || type == WebhookReceiver.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Resources resources = resources(context);
        Class<?> type = parameter.getParameter().getType();
        if (type == Mockingbird.class) {
            return resources.server;
        }
        if (resources.receiver == null) {
            try {
                resources.receiver = WebhookReceiver.start();
            } catch (IOException e) {
                throw new ParameterResolutionException("starting the webhook receiver", e);
            }
        }
        return resources.receiver;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        Resources resources = resources(context);
        if (resources.server != null) {
            // Stop first, so that everything the server wrote is in its log.
            resources.stop();
            throwable.addSuppressed(new ServerOutput(describe(context, resources)));
            resources.outputShown = true;
        }
        throw throwable;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Resources resources = resources(context);
        List<String> problems = new ArrayList<>();
        try {
            resources.stop();
            if (resources.stopProblem != null) {
                problems.add(resources.stopProblem);
            }
            if (resources.receiver != null) {
                resources.receiver.problems().forEach(p -> problems.add("webhook receiver: " + p));
            }
            if (!problems.isEmpty()) {
                String text = String.join("\n", problems);
                if (resources.server != null && !resources.outputShown) {
                    text += "\n" + describe(context, resources);
                }
                throw new AssertionError(text);
            }
        } finally {
            if (resources.dir != null) {
                deleteTree(resources.dir);
            }
        }
    }

    private static String describe(ExtensionContext context, Resources resources) {
        return "--- mockingbird output (" + context.getDisplayName() + ", " + resources.server.baseUrl()
                + ") ---\ncommand: " + resources.server.commandLine() + "\n" + resources.server.output()
                + "--- end of mockingbird output ---";
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not remove " + dir + ": " + e);
        }
    }
}
