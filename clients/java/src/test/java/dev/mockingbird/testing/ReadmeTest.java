package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** The README's complete test is SmsTest's first test, word for word: the example runs. */
class ReadmeTest {
    @Test
    void theReadmesCompleteTestIsInTheSuite() throws IOException {
        String readme = Files.readString(Paths.get("README.md"));
        int start = readme.indexOf("```java\n@ExtendWith(MockingbirdExtension.class)");
        assertTrue(start >= 0, "README.md has no complete test starting with @ExtendWith");
        String example = readme.substring(start + "```java\n".length(), readme.indexOf("\n```", start));
        // The README closes the class right after the first test; the suite goes on.
        String firstTest = example.substring(0, example.lastIndexOf('}')).stripTrailing();
        String suite = Files.readString(Path.of("src/test/java/dev/mockingbird/testing/SmsTest.java"));
        assertTrue(suite.contains(firstTest), "README.md's complete test differs from SmsTest.java's first test");
    }
}
