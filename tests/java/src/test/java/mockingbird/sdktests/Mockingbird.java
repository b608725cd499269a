package mockingbird.sdktests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One mockingbird server, started for one test on port 0 with an in-memory database, so that no
 * test sees another's messages, subaccounts or callbacks. Starting one takes a few tens of
 * milliseconds.
 *
 * <p>MOCKINGBIRD_BIN names the binary (default: {@code <repo>/target/debug/mockingbird}; a
 * relative path is taken from the repository root). scripts/java-tests.sh builds it when it is
 * missing.
 */
final class Mockingbird {
    static final String ACCOUNT_SID = "AC" + "a".repeat(32); // "AC" + 32 hex digits
    static final String AUTH_TOKEN = "mockingbirdtesttoken0123456789ab"; // alphanumeric
    static final String FROM_NUMBER = "+15550000001";
    static final String REGISTERED_NUMBER = "+15551234567";
    static final String FAILURE_NUMBER = "+15559999999";

    /** callbacks.delay_seconds: each step of a message's or a call's life comes this long after the last. */
    static final double STEP_DELAY_SECONDS = 0.1;

    static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private static final String CONFIG_TEMPLATE = String.join("\n",
            "twilio:",
            "  account_sid: \"%s\"",
            "  auth_token: \"%s\"",
            "  validation:",
            "    require_auth: true",
            "    validate_phone_format: true",
            "    check_from_numbers: true",
            "    require_parameters: true",
            "  default_behavior: success",
            "  registered_numbers: [\"%s\"]",
            "  allowed_from_numbers: [\"%s\"]",
            "  failure_numbers: [\"%s\"]",
            "  callbacks:",
            "    enabled: true",
            "    delay_seconds: %s",
            "    retry_attempts: 3",
            "    retry_delay_seconds: 0.2",
            "    timeout_seconds: 2",
            "");

    private static final ObjectMapper JSON = new ObjectMapper();

    // Servers still running. Should the test JVM end without stopping them (Ctrl-C, the
    // runner's SIGTERM, System.exit), they are killed with it rather than left behind.
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "mockingbird-reaper"));
    }

    private final Path logPath;
    private final Path readyPath;
    private final String commandLine;
    private final Process process;
    private final List<MockingbirdHttpClient> httpClients = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stopping;
    private String baseUrl;

    private Mockingbird(Path logPath, Path readyPath, String commandLine, Process process) {
        this.logPath = logPath;
        this.readyPath = readyPath;
        this.commandLine = commandLine;
        this.process = process;
    }

    // ----------------------------------------------------------------------------------------
    // Starting and stopping
    // ----------------------------------------------------------------------------------------

    static Path repoRoot() {
        String configured = System.getProperty("mockingbird.repo");
        // Surefire runs in tests/java; the pom passes the repository root explicitly.
        Path root = configured != null ? Paths.get(configured) : Paths.get("..", "..");
        return root.toAbsolutePath().normalize();
    }

    static Path binary() {
        String configured = System.getenv("MOCKINGBIRD_BIN");
        Path path;
        if (configured == null || configured.isEmpty()) {
            path = repoRoot().resolve("target").resolve("debug").resolve("mockingbird");
        } else {
            path = Paths.get(configured);
            if (!path.isAbsolute()) {
                path = repoRoot().resolve(path);
            }
        }
        if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
            throw new IllegalStateException("mockingbird binary not found at " + path
                    + ": run `cargo build` or set MOCKINGBIRD_BIN");
        }
        return path;
    }

    /**
     * Starts a fresh server in {@code dir}, its steps {@code stepDelaySeconds} apart, and waits
     * (up to 15 s) for its ready file.
     */
    static Mockingbird start(Path dir, double stepDelaySeconds) throws IOException, InterruptedException {
        Path bin = binary();
        Path config = dir.resolve("config.yaml");
        Path ready = dir.resolve("ready.json");
        Path log = dir.resolve("server.log");
        Files.writeString(config, String.format(CONFIG_TEMPLATE,
                ACCOUNT_SID, AUTH_TOKEN, REGISTERED_NUMBER, FROM_NUMBER, FAILURE_NUMBER, stepDelaySeconds));

        List<String> command = List.of(bin.toString(),
                "serve",
                "--config", config.toString(),
                "--host", "127.0.0.1",
                "--port", "0",
                "--grpc-port", "0",
                "--database", ":memory:",
                "--ready-file", ready.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        Map<String, String> env = builder.environment();
        // The server reads MOCKINGBIRD_* variables as config overrides (and MOCKINGBIRD_CONFIG as
        // its config file): the config written above must be the whole story.
        env.keySet().removeIf(name -> name.startsWith("MOCKINGBIRD_"));
        // Callbacks go to 127.0.0.1: never through a proxy the environment may name.
        env.put("NO_PROXY", "127.0.0.1,localhost");
        env.put("no_proxy", "127.0.0.1,localhost");
        env.put("NO_COLOR", "1"); // plain server logs in failure reports

        String commandLine = String.join(" ", command);
        Process process = builder.start();
        LIVE.add(process);
        Mockingbird server = new Mockingbird(log, ready, commandLine, process);

        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        for (;;) {
            String address = readyAddress(ready);
            if (address != null) {
                server.baseUrl = baseUrlFor(address);
                return server;
            }
            if (!process.isAlive()) {
                server.stopProcess();
                throw new IllegalStateException("mockingbird exited (status " + process.exitValue()
                        + ") before it was ready\ncommand: " + commandLine
                        + "\n--- server output ---\n" + server.output());
            }
            if (System.nanoTime() - deadline >= 0) {
                server.stopProcess();
                throw new IllegalStateException("mockingbird did not write " + ready + " within "
                        + READY_TIMEOUT.toSeconds() + " s\ncommand: " + commandLine
                        + "\n--- server output ---\n" + server.output());
            }
            Thread.sleep(20);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** The {@code http} address in the ready file, or null while it is absent or half-written. */
    private static String readyAddress(Path ready) {
        try {
            JsonNode http = JSON.readTree(Files.readString(ready, StandardCharsets.UTF_8)).get("http");
            return http != null && http.isTextual() && !http.asText().isEmpty() ? http.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * {@code http://localhost:PORT} for a ready address {@code 127.0.0.1:PORT}. The Java SDK
     * splits the host on dots to insert a region or edge (docs/sdks.md §Java), so the client is
     * pointed at {@code localhost} rather than at the IP address.
     */
    private static String baseUrlFor(String address) {
        int colon = address.lastIndexOf(':');
        return "http://localhost:" + address.substring(colon + 1);
    }

    /**
     * Stops the server (SIGTERM, then SIGKILL after 5 s) and closes the SDK clients made for it.
     * Returns a description of anything wrong found on the way (a crash during the test, a
     * server that did not stop), or null.
     */
    String stop() throws InterruptedException {
        String problem = null;
        if (!stopping && !process.isAlive()) {
            // It was not asked to stop: a crash, a failure of the test it happened in.
            problem = "mockingbird exited during the test (status " + process.exitValue() + ")";
        }
        String stopProblem = stopProcess();
        synchronized (httpClients) {
            httpClients.forEach(MockingbirdHttpClient::close);
            httpClients.clear();
        }
        return problem != null ? problem : stopProblem;
    }

    private String stopProcess() throws InterruptedException {
        stopping = true;
        String problem = null;
        if (process.isAlive()) {
            process.destroy(); // SIGTERM
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                problem = "mockingbird did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM; killed it";
                process.destroyForcibly();
                process.waitFor();
            }
        }
        LIVE.remove(process);
        return problem;
    }

    // ----------------------------------------------------------------------------------------
    // What tests use
    // ----------------------------------------------------------------------------------------

    /** Where the SDK is sent: {@code http://localhost:PORT}. */
    String baseUrl() {
        return baseUrl;
    }

    String accountSid() {
        return ACCOUNT_SID;
    }

    String authToken() {
        return AUTH_TOKEN;
    }

    /** Everything the server has written to stdout and stderr so far. */
    String output() {
        try {
            return Files.readString(logPath, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + logPath + ": " + e + ")";
        }
    }

    String commandLine() {
        return commandLine;
    }

    /** The ready file the server wrote: how the CLI ({@link Phone}) finds its control plane. */
    Path readyFile() {
        return readyPath;
    }

    /** A new redirecting HTTP client for this server, closed when the server stops. */
    MockingbirdHttpClient newHttpClient() {
        MockingbirdHttpClient http = new MockingbirdHttpClient(baseUrl);
        httpClients.add(http);
        return http;
    }

    /** A client with the default account's credentials. */
    TwilioRestClient client() {
        return client(ACCOUNT_SID, AUTH_TOKEN, ACCOUNT_SID);
    }

    /**
     * A client with these credentials acting on account {@code accountSid}, exactly as
     * docs/sdks.md tells an app to build one. Its HTTP client is {@code
     * (MockingbirdHttpClient) client.getHttpClient()}.
     */
    TwilioRestClient client(String username, String password, String accountSid) {
        return new TwilioRestClient.Builder(username, password)
                .accountSid(accountSid)
                .httpClient(newHttpClient())
                .build();
    }

    static MockingbirdHttpClient httpOf(TwilioRestClient client) {
        return (MockingbirdHttpClient) client.getHttpClient();
    }
}
