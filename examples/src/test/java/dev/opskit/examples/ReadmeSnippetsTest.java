package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's Java code compiled and run. Every {@code ```java} block of README.md must be,
 * character for character, a region marked {@code // [readme]} ... {@code // [/readme]} (indent
 * removed) in a source file of this module ({@code src/main/java} or {@code src/test/java}) or of a
 * test kit's own tests ({@code testing}, {@code cluster}), so the build compiles it; and every file
 * holding such a region must be run by a test, listed in {@link #RUN_BY_TESTS} ({@link
 * ReadmeExamplesTest} without root, {@link ReadmeExamplesIT} in network namespaces, or the file is
 * a test class itself). To add a block: write the code in an example class (or a test class, for
 * test-kit examples), mark the region, run it from one of those tests, list the file here, and
 * paste the region into the README.
 */
class ReadmeSnippetsTest {
  private static final Path README = Path.of("../README.md");
  private static final List<Path> SOURCES =
      List.of(
          Path.of("src/main/java"),
          Path.of("src/test/java"),
          Path.of("../testing/src/test/java"),
          Path.of("../cluster/src/test/java"));

  /**
   * The files with README regions, each run by {@link ReadmeExamplesTest} or {@link
   * ReadmeExamplesIT}.
   */
  static final Set<String> RUN_BY_TESTS =
      Set.of(
          "CoreExample.java",
          "IptablesExample.java",
          "SysctlExample.java",
          "ClusterExample.java",
          "FleetExample.java",
          "NodeFleetExample.java",
          // test classes, run by their module's build
          "FakeHostExamplesTest.java",
          "ReaperTest.java");

  @Test
  void everyJavaBlockOfTheReadmeIsAMarkedRegion() throws IOException {
    Map<String, Path> regions = regions();
    List<String> blocks = javaBlocks(Files.readAllLines(README, StandardCharsets.UTF_8));
    assertThat(blocks).isNotEmpty();
    for (String block : blocks) {
      assertThat(regions)
          .as(
              "README block starting %s is no marked region of an example;"
                  + " see this test's Javadoc",
              block.lines().findFirst().orElse(""))
          .containsKey(block);
    }
  }

  @Test
  void everyMarkedRegionIsABlockOfTheReadme() throws IOException {
    List<String> blocks = javaBlocks(Files.readAllLines(README, StandardCharsets.UTF_8));
    regions()
        .forEach(
            (region, file) ->
                assertThat(blocks).as("README block for the region in %s", file).contains(region));
  }

  @Test
  void everyFileWithARegionIsRunByATest() throws IOException {
    Set<String> files =
        regions().values().stream()
            .map(p -> p.getFileName().toString())
            .collect(Collectors.toSet());
    assertThat(RUN_BY_TESTS).containsAll(files);
  }

  /** Every marked region of every source file of this module, dedented, to its file. */
  static Map<String, Path> regions() throws IOException {
    Map<String, Path> regions = new LinkedHashMap<>();
    for (Path root : SOURCES) {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(root)) {
        files = walk.filter(f -> f.toString().endsWith(".java")).sorted().toList();
      }
      for (Path file : files) {
        for (String region : regions(Files.readAllLines(file, StandardCharsets.UTF_8))) {
          regions.put(region, file);
        }
      }
    }
    return regions;
  }

  static List<String> regions(List<String> lines) {
    List<String> regions = new ArrayList<>();
    List<String> current = null;
    for (String line : lines) {
      String trimmed = line.strip();
      if (trimmed.equals("// [readme]")) {
        current = new ArrayList<>();
      } else if (trimmed.equals("// [/readme]") && current != null) {
        regions.add(dedent(current));
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    return regions;
  }

  /** The contents of the {@code ```java} fenced blocks. */
  static List<String> javaBlocks(List<String> lines) {
    List<String> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : lines) {
      if (current == null && line.strip().equals("```java")) {
        current = new ArrayList<>();
      } else if (current != null && line.strip().equals("```")) {
        blocks.add(String.join("\n", current));
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    return blocks;
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
