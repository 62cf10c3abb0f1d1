package dev.opskit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's FakeHost examples are the marked parts of a test that runs, quoted verbatim. */
class ReadmeQuotesTest {
  private static final Pattern MARKED =
      Pattern.compile("\\n( *)// \\[readme]\\n(.*?)\\n *// \\[/readme]", Pattern.DOTALL);

  @Test
  void theReadmeQuotesTheExamplesThatRun() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    String examples =
        Files.readString(Path.of("src/test/java/dev/opskit/testing/FakeHostExamplesTest.java"));
    Matcher marked = MARKED.matcher(examples);
    int quoted = 0;
    while (marked.find()) {
      String indent = marked.group(1);
      List<String> lines =
          marked
              .group(2)
              .lines()
              .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
              .toList();
      assertThat(readme).contains("```java\n" + String.join("\n", lines) + "\n```");
      quoted++;
    }
    assertThat(quoted).isEqualTo(2);
  }
}
