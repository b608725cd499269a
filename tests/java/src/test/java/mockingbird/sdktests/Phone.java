package mockingbird.sdktests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The person on the phone: the server's own CLI, {@code mockingbird call …}, run against one
 * test's server (found through its ready file) for its account. Each command answers once the
 * app's TwiML has run as far as it can, with the call and its transcript.
 */
final class Phone {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

    // "call CA… inbound +1… → +1… [completed, 12 s, error 11200]"
    private static final Pattern SUMMARY = Pattern.compile("call (CA[0-9a-f]{32}) (\\S+) (\\S+) → (\\S+) \\[([^,\\]]+)[^\\]]*\\]");
    // "09:01:02.000 said \"Press 1 for sales\"": the tenant time, then what happened.
    private static final Pattern LINE = Pattern.compile("(?:\\d\\d:\\d\\d:\\d\\d\\.\\d{3}|--:--:--\\.---) (.*)");
    private static final Pattern SAID = Pattern.compile("said \"(.*)\"");

    /** A call as the CLI prints it: the call, each transcript line, and what it waits for. */
    record CallView(String sid, String direction, String from, String to, String status,
            List<String> transcript, String waitingFor, String printed) {

        /** Everything the app said to the caller, in order. */
        List<String> said() {
            List<String> said = new ArrayList<>();
            for (String line : transcript) {
                Matcher m = SAID.matcher(line);
                if (m.matches()) {
                    said.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
            return said;
        }

        boolean waitingFor(String what) {
            return what.equals(waitingFor);
        }

        @Override
        public String toString() {
            return printed;
        }
    }

    private final Mockingbird server;

    Phone(Mockingbird server) {
        this.server = server;
    }

    /** Dials one of the account's numbers from {@code from}: its VoiceUrl's TwiML runs. */
    CallView place(String from, String to) {
        return run("place", "--from", from, "--to", to);
    }

    CallView press(String sid, String digits) {
        return run("press", sid, digits);
    }

    CallView say(String sid, String words) {
        return run("say", sid, words);
    }

    CallView hangUp(String sid) {
        return run("hangup", sid);
    }

    CallView show(String sid) {
        return run("show", sid);
    }

    private CallView run(String command, String... args) {
        List<String> line = new ArrayList<>(List.of(Mockingbird.binary().toString(), "call", command));
        line.addAll(List.of(args));
        line.addAll(List.of("--ready-file", server.readyFile().toString(), "--tenant", server.accountSid()));
        String printed;
        String errors;
        int status;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("mockingbird-call-");
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            ProcessBuilder builder = new ProcessBuilder(line)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            // Only the ready file names the server: no MOCKINGBIRD_* variable may point elsewhere.
            builder.environment().keySet().removeIf(name -> name.startsWith("MOCKINGBIRD_"));
            builder.environment().put("NO_COLOR", "1");
            Process process = builder.start();
            process.getOutputStream().close(); // nothing to read from us
            if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("`" + String.join(" ", line) + "` did not end within "
                        + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            printed = Files.readString(out, StandardCharsets.UTF_8);
            errors = Files.readString(err, StandardCharsets.UTF_8);
            status = process.exitValue();
        } catch (IOException e) {
            throw new AssertionError("running `" + String.join(" ", line) + "`: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running `" + String.join(" ", line) + "`", e);
        } finally {
            deleteQuietly(dir);
        }
        if (status != 0) {
            throw new AssertionError("`" + String.join(" ", line) + "` exited " + status + ":\n" + printed + errors);
        }
        return parse(printed);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        for (String name : List.of("stdout", "stderr", "")) {
            try {
                Files.deleteIfExists(name.isEmpty() ? dir : dir.resolve(name));
            } catch (IOException e) {
                // a leftover temporary file is harmless
            }
        }
    }

    static CallView parse(String printed) {
        List<String> lines = printed.lines().collect(Collectors.toList());
        Matcher summary = lines.isEmpty() ? null : SUMMARY.matcher(lines.get(0));
        if (summary == null || !summary.matches()) {
            throw new AssertionError("no call in the CLI's output:\n" + printed);
        }
        List<String> transcript = new ArrayList<>();
        String waitingFor = null;
        for (String line : lines.subList(1, lines.size())) {
            if (line.startsWith("waiting for ")) {
                waitingFor = line.substring("waiting for ".length());
                continue;
            }
            Matcher m = LINE.matcher(line);
            transcript.add(m.matches() ? m.group(1) : line);
        }
        return new CallView(summary.group(1), summary.group(2), summary.group(3), summary.group(4),
                summary.group(5), List.copyOf(transcript), waitingFor, printed);
    }
}
