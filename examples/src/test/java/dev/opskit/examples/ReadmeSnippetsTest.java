package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README quotes the marked parts of the example programs; this test keeps each quote equal to
 * code that compiles, so the README cannot rot.
 */
class ReadmeSnippetsTest {
  private static final Path EXAMPLES = Path.of("src/main/java/dev/opskit/examples");
  private static final Path README = Path.of("../README.md");

  @Test
  void everyMarkedSnippetIsQuotedVerbatimInTheReadme() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<Path> examples;
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      examples = files.filter(f -> f.toString().endsWith("Example.java")).sorted().toList();
    }
    assertThat(examples).isNotEmpty();
    for (Path example : examples) {
      List<String> snippets = snippets(Files.readAllLines(example, StandardCharsets.UTF_8));
      assertThat(snippets).as("marked snippets in %s", example.getFileName()).isNotEmpty();
      for (String snippet : snippets) {
        assertThat(readme).as("README quote of %s", example.getFileName()).contains(snippet);
      }
    }
  }

  static List<String> snippets(List<String> lines) {
    List<String> snippets = new ArrayList<>();
    List<String> current = null;
    for (String line : lines) {
      String trimmed = line.strip();
      if (trimmed.equals("// [readme]")) {
        current = new ArrayList<>();
      } else if (trimmed.equals("// [/readme]") && current != null) {
        snippets.add(dedent(current));
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    return snippets;
  }

  private static String dedent(List<String> lines) {
    int indent =
        lines.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return lines.stream()
        .map(l -> l.isBlank() ? "" : l.substring(indent))
        .collect(Collectors.joining("\n"));
  }
}
