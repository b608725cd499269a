package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The classes the build generated say what {@code proto/} says today: every proto file, every
 * message and every field (by name and number) is there and nothing else. The build generates
 * them from {@code ../../proto} each time, so this holds by construction; the test is the proof
 * that a proto change reaches the client without a step anyone could forget.
 */
class GeneratedCodeTest {
    private static final Pattern MESSAGE = Pattern.compile("^\\s*message\\s+(\\w+)\\s*\\{");
    private static final Pattern FIELD = Pattern.compile("^\\s*(?:optional\\s+|repeated\\s+)?[\\w.]+\\s+(\\w+)\\s*=\\s*(\\d+)\\s*[;\\[]");
    private static final Pattern MAP_FIELD = Pattern.compile("^\\s*map\\s*<[^>]+>\\s+(\\w+)\\s*=\\s*(\\d+)\\s*[;\\[]");

    @Test
    void everyMessageAndFieldOfTheProtosIsInTheGeneratedClasses() throws IOException {
        Map<String, FileDescriptor> generated = generatedFiles();
        Path protoDir = Paths.get(System.getProperty("mockingbird.proto.dir", "../../proto"));
        List<Path> protos;
        try (Stream<Path> files = Files.walk(protoDir)) {
            protos = files.filter(p -> p.toString().endsWith(".proto")).sorted().collect(Collectors.toList());
        }
        assertFalse(protos.isEmpty(), "no .proto files under " + protoDir.toAbsolutePath());

        for (Path proto : protos) {
            String name = protoDir.relativize(proto).toString().replace('\\', '/');
            FileDescriptor file = generated.get(name);
            assertEquals(true, file != null, name + " has no generated classes (generated: " + generated.keySet() + ")");
            TreeSet<String> declared = declaredFields(Files.readAllLines(proto));
            TreeSet<String> built = generatedFields(file);
            TreeSet<String> missing = new TreeSet<>(declared);
            missing.removeAll(built);
            TreeSet<String> extra = new TreeSet<>(built);
            extra.removeAll(declared);
            assertEquals("", (missing.isEmpty() ? "" : "declared in the proto, not generated: " + missing)
                    + (extra.isEmpty() ? "" : " generated, not in the proto: " + extra), name);
        }
        assertEquals(protos.size(), generated.size(), "generated files without a proto: " + generated.keySet());
    }

    /** "Message.field = number" for every field the proto text declares. */
    static TreeSet<String> declaredFields(List<String> lines) {
        TreeSet<String> fields = new TreeSet<>();
        Deque<String> scopes = new ArrayDeque<>(); // message names, or "" for other blocks
        for (String raw : lines) {
            String line = raw.replaceAll("//.*", "");
            Matcher message = MESSAGE.matcher(line);
            Matcher field = FIELD.matcher(line);
            Matcher map = MAP_FIELD.matcher(line);
            if (message.find()) {
                scopes.push(message.group(1));
            } else if (map.find()) {
                // protoc makes a map field a repeated nested `<Name>Entry` message of key = 1, value = 2.
                String scope = qualified(scopes);
                String entry = scope + "." + entryName(map.group(1));
                fields.add(scope + "." + map.group(1) + " = " + map.group(2));
                fields.add(entry + ".key = 1");
                fields.add(entry + ".value = 2");
            } else if (field.find() && scopes.stream().anyMatch(s -> !s.isEmpty())) { // a oneof's too
                fields.add(qualified(scopes) + "." + field.group(1) + " = " + field.group(2));
            } else {
                for (char c : line.toCharArray()) {
                    if (c == '{') {
                        scopes.push(""); // enum, oneof, service
                    } else if (c == '}') {
                        scopes.pop();
                    }
                }
                continue;
            }
            if (line.contains("}")) {
                scopes.pop(); // a one-line message
            }
        }
        return fields;
    }

    /** The nested message protoc generates for a map field: `request_headers` → `RequestHeadersEntry`. */
    private static String entryName(String field) {
        StringBuilder name = new StringBuilder();
        boolean upper = true;
        for (char c : field.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.append("Entry").toString();
    }

    private static String qualified(Deque<String> scopes) {
        List<String> names = scopes.stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
        java.util.Collections.reverse(names);
        return String.join(".", names);
    }

    static TreeSet<String> generatedFields(FileDescriptor file) {
        TreeSet<String> fields = new TreeSet<>();
        Deque<Descriptor> todo = new ArrayDeque<>(file.getMessageTypes());
        while (!todo.isEmpty()) {
            Descriptor message = todo.pop();
            String prefix = message.getFullName().substring(file.getPackage().length() + 1);
            for (FieldDescriptor field : message.getFields()) {
                fields.add(prefix + "." + field.getName() + " = " + field.getNumber());
            }
            todo.addAll(message.getNestedTypes());
        }
        return fields;
    }

    /** The generated file descriptors of mockingbird's protos, reached from one message of each service. */
    static Map<String, FileDescriptor> generatedFiles() {
        Map<String, FileDescriptor> files = new TreeMap<>();
        Deque<FileDescriptor> todo = new ArrayDeque<>(List.of(
                dev.mockingbird.v1.Tenant.getDescriptor().getFile(),
                dev.mockingbird.v1.PhoneNumber.getDescriptor().getFile(),
                dev.mockingbird.v1.Rule.getDescriptor().getFile(),
                dev.mockingbird.v1.ClockState.getDescriptor().getFile(),
                dev.mockingbird.v1.ListMessagesRequest.getDescriptor().getFile(),
                dev.mockingbird.v1.Event.getDescriptor().getFile(),
                dev.mockingbird.v1.SendWhatsAppInboundRequest.getDescriptor().getFile(),
                dev.mockingbird.v1.CallDetail.getDescriptor().getFile()));
        while (!todo.isEmpty()) {
            FileDescriptor file = todo.pop();
            if (file.getName().startsWith("mockingbird/") && files.putIfAbsent(file.getName(), file) == null) {
                todo.addAll(file.getDependencies());
            }
        }
        return files;
    }
}
