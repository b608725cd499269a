package dev.mockingbird.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mockingbird.v1.CreateTenantRequest;
import dev.mockingbird.v1.GetTenantRequest;
import dev.mockingbird.v1.ListTenantsRequest;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A mockingbird server and its control plane: one started here on free ports ({@link #start()}),
 * or one already running ({@link #connect()}). Close it to stop a server started here.
 *
 * <pre>{@code
 * try (Mockingbird mb = Mockingbird.start(); Tenant tenant = mb.tenant("checkout")) {
 *     ...
 *     tenant.waitFor(EventQuery.of(EventKind.EVENT_KIND_MESSAGE_STATUS_CHANGED).sid(sid).status("delivered"));
 * }
 * }</pre>
 */
public final class Mockingbird implements AutoCloseable {

    /** The control plane's bearer token, under the name the server itself reads it by. */
    public static final String TOKEN_VARIABLE = "MOCKINGBIRD_CONTROL__TOKEN";

    static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private static final ObjectMapper JSON = new ObjectMapper();

    // Servers still running. Should the JVM end without closing them (Ctrl-C, the runner's
    // SIGTERM, System.exit), they are killed with it rather than left behind.
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "mockingbird-reaper"));
    }

    private final String grpcAddress;
    private final String httpUrl; // http://127.0.0.1:PORT, or null when unknown
    private final ManagedChannel channel;
    private final Stubs stubs;
    private Process process; // a server started here
    private Path workdir;

    private Mockingbird(String grpcAddress, String httpUrl, String token) {
        this.grpcAddress = grpcTarget(grpcAddress);
        this.httpUrl = httpUrl;
        // Loopback or a named host: never through a proxy the environment may name.
        this.channel = NettyChannelBuilder.forTarget(this.grpcAddress).usePlaintext().proxyDetector(address -> null).build();
        io.grpc.Channel calls = channel;
        if (token != null && !token.isEmpty()) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            calls = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        this.stubs = new Stubs(calls);
    }

    // ---- starting and connecting -----------------------------------------------------------

    /** Starts {@code $MOCKINGBIRD_BIN} (or {@code mockingbird} on PATH) with its defaults. */
    public static Mockingbird start() {
        return start(new Options());
    }

    /**
     * Starts the binary on free ports (HTTP and gRPC on port 0, an in-memory database) and waits
     * for its ready file. The server sees none of the caller's {@code MOCKINGBIRD_*} variables,
     * so the test's own settings never configure it by accident.
     */
    public static Mockingbird start(Options options) {
        Path binary = findBinary(options.binary);
        Path dir;
        try {
            dir = Files.createTempDirectory("mockingbird-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path ready = dir.resolve("ready.json");
        Path log = dir.resolve("server.log");
        List<String> command = new ArrayList<>(List.of(binary.toString(), "serve",
                "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
                "--database", ":memory:", "--ready-file", ready.toString()));
        if (options.config != null) {
            Path config = dir.resolve("config.yaml");
            try {
                Files.writeString(config, options.config, StandardCharsets.UTF_8);
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException(e);
            }
            command.addAll(List.of("--config", config.toString()));
        }
        Map<String, String> settings = new LinkedHashMap<>(options.settings);
        if (options.token != null) {
            settings.put("control.token", options.token);
        }
        settings.forEach((key, value) -> command.addAll(List.of("--set", key + "=" + value)));

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile()) // so no ./config.yaml of the caller's is read
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("MOCKINGBIRD_"));
        // Webhooks go to 127.0.0.1: never through a proxy the environment may name.
        env.put("NO_PROXY", "127.0.0.1,localhost");
        env.put("no_proxy", "127.0.0.1,localhost");
        env.put("NO_COLOR", "1"); // plain logs in failure reports

        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            deleteTree(dir);
            throw new UncheckedIOException("cannot run " + binary, e);
        }
        LIVE.add(process);
        JsonNode addresses;
        try {
            addresses = waitForReadyFile(ready, process, log, command);
        } catch (RuntimeException e) {
            stop(process);
            deleteTree(dir);
            throw e;
        }
        Mockingbird server = new Mockingbird(addresses.get("grpc").asText(), "http://" + addresses.get("http").asText(), options.token);
        server.process = process;
        server.workdir = dir;
        return server;
    }

    /** Connects to a running server: {@code $MOCKINGBIRD_GRPC}, else {@code $MOCKINGBIRD_READY_FILE}'s. */
    public static Mockingbird connect() {
        return connect(null, null);
    }

    /**
     * Connects to a running server at {@code address} ({@code 127.0.0.1:50051} or {@code
     * http://127.0.0.1:50051}); null means {@code $MOCKINGBIRD_GRPC}, else the {@code grpc} of
     * the ready file named by {@code $MOCKINGBIRD_READY_FILE}, which also gives the HTTP address.
     * The token, when null, is {@code $MOCKINGBIRD_CONTROL__TOKEN}.
     */
    public static Mockingbird connect(String address, String token) {
        JsonNode ready = JSON.createObjectNode();
        if (isSet("MOCKINGBIRD_READY_FILE")) {
            Path readyFile = Paths.get(System.getenv("MOCKINGBIRD_READY_FILE"));
            try {
                ready = JSON.readTree(Files.readString(readyFile));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the ready file " + readyFile, e);
            }
        }
        if (address == null) {
            address = isSet("MOCKINGBIRD_GRPC") ? System.getenv("MOCKINGBIRD_GRPC") : ready.path("grpc").asText(null);
        }
        if (address == null || address.isEmpty()) {
            throw new IllegalStateException("no server to connect to: pass an address, or set MOCKINGBIRD_GRPC or MOCKINGBIRD_READY_FILE");
        }
        String httpUrl = ready.hasNonNull("http") ? "http://" + ready.get("http").asText() : null;
        return new Mockingbird(address, httpUrl, token != null ? token : System.getenv(TOKEN_VARIABLE));
    }

    /** Whether the environment names a running server ({@code MOCKINGBIRD_GRPC} or {@code MOCKINGBIRD_READY_FILE}). */
    public static boolean environmentNamesServer() {
        return isSet("MOCKINGBIRD_GRPC") || isSet("MOCKINGBIRD_READY_FILE");
    }

    private static boolean isSet(String name) {
        String value = System.getenv(name);
        return value != null && !value.isEmpty();
    }

    /** How {@link #start(Options)} runs the server. */
    public static final class Options {
        Path binary;
        String config;
        final Map<String, String> settings = new LinkedHashMap<>();
        String token;

        /** The binary to run (default: {@code $MOCKINGBIRD_BIN}, then {@code mockingbird} on PATH). */
        public Options binary(Path binary) {
            this.binary = binary;
            return this;
        }

        /**
         * The server's config file, as YAML (the default account's credentials, its seed
         * numbers, callback timing, …); without one the server runs on its built-in defaults.
         * {@link #set} overrides it key by key.
         */
        public Options config(String yaml) {
            this.config = yaml;
            return this;
        }

        /** A {@code --set key=value} override, e.g. {@code set("twilio.callbacks.retry_attempts", "1")}. */
        public Options set(String key, String value) {
            settings.put(key, value);
            return this;
        }

        /** The server's {@code control.token}, which this client then sends. */
        public Options token(String token) {
            this.token = token;
            return this;
        }
    }

    // ---- what tests use --------------------------------------------------------------------

    /** A new tenant with fresh credentials; close it (try-with-resources) to delete it. */
    public Tenant tenant(String label) {
        return new Tenant(this, stubs.tenants().createTenant(CreateTenantRequest.newBuilder().setLabel(label).build()), true);
    }

    /** The config file's account: the one an app with no control-plane setup talks to. Never deleted. */
    public Tenant defaultTenant() {
        return account("");
    }

    /**
     * A tenant the server already has, by its account SID (the config file's account when
     * empty), to act on as on a test's own. Closing it leaves it in place.
     */
    public Tenant account(String accountSid) {
        return new Tenant(this, stubs.tenants().getTenant(GetTenantRequest.newBuilder().setAccountSid(accountSid).build()), false);
    }

    /** Every tenant on the server, the config file's account among them; closing one leaves it in place. */
    public List<Tenant> tenants() {
        return stubs.tenants().listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList().stream()
                .map(found -> new Tenant(this, found, false))
                .collect(Collectors.toList());
    }

    /** The generated blocking stubs, each call with a deadline. */
    public Stubs stubs() {
        return stubs;
    }

    /** {@code 127.0.0.1:PORT}: the control plane. */
    public String grpcAddress() {
        return grpcAddress;
    }

    /** {@code http://127.0.0.1:PORT}, where apps reach the Twilio and Cloud API facades. */
    public String httpUrl() {
        if (httpUrl == null) {
            throw new IllegalStateException("the server's HTTP address is unknown: connect through MOCKINGBIRD_READY_FILE");
        }
        return httpUrl;
    }

    /** Whether a server started here has exited though nobody closed it: it crashed. */
    public boolean crashed() {
        return process != null && !process.isAlive();
    }

    /** What a server started here has printed so far (empty for a connected one). */
    public String log() {
        return workdir == null ? "" : read(workdir.resolve("server.log"));
    }

    /** Closes the channel; stops the server if it was started here. */
    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (process != null) {
            stop(process);
            process = null;
        }
        if (workdir != null) {
            deleteTree(workdir);
            workdir = null;
        }
    }

    @Override
    public String toString() {
        return "Mockingbird(grpc=" + grpcAddress + ", http=" + httpUrl + ")";
    }

    // ---- the process -----------------------------------------------------------------------

    static Path findBinary(Path given) {
        Path path = given;
        if (path == null && isSet("MOCKINGBIRD_BIN")) {
            path = Paths.get(System.getenv("MOCKINGBIRD_BIN"));
        }
        if (path == null) {
            String pathVariable = System.getenv().getOrDefault("PATH", "");
            for (String dir : pathVariable.split(File.pathSeparator)) {
                Path candidate = Paths.get(dir, "mockingbird");
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    path = candidate;
                    break;
                }
            }
        }
        if (path == null) {
            throw new IllegalStateException("the mockingbird binary was not found: pass Options.binary(…), set MOCKINGBIRD_BIN, or put `mockingbird` on PATH");
        }
        if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
            throw new IllegalStateException(path + " is not an executable file (the mockingbird binary)");
        }
        return path.toAbsolutePath();
    }

    /** The ready file's addresses, once the server has written it whole. */
    private static JsonNode waitForReadyFile(Path ready, Process process, Path log, List<String> command) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        for (;;) {
            try {
                JsonNode addresses = JSON.readTree(Files.readString(ready, StandardCharsets.UTF_8));
                if (addresses != null && addresses.hasNonNull("http") && addresses.hasNonNull("grpc")) {
                    return addresses;
                }
            } catch (IOException e) {
                // not there yet, or half-written
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("mockingbird exited with status " + process.exitValue()
                        + " before it was ready\ncommand: " + String.join(" ", command) + "\n--- server output ---\n" + read(log));
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("mockingbird did not write " + ready + " within " + READY_TIMEOUT.toSeconds()
                        + " s\ncommand: " + String.join(" ", command) + "\n--- server output ---\n" + read(log));
            }
            try {
                Thread.sleep(20); // polling a file: there is nothing to wake on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for mockingbird to start", e);
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** SIGTERM, then SIGKILL after five seconds. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp folder is not worth failing a test run for
        }
    }

    /** {@code 127.0.0.1:50051} from that, or from {@code http://127.0.0.1:50051} as the CLI prints it. */
    private static String grpcTarget(String address) {
        for (String scheme : List.of("http://", "https://")) {
            if (address.startsWith(scheme)) {
                address = address.substring(scheme.length());
            }
        }
        while (address.endsWith("/")) {
            address = address.substring(0, address.length() - 1);
        }
        return address;
    }
}
