package dev.opskit.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher the build puts next to {@code opskit.jar}: it runs the command line, maps a
 * class-data archive only when it fits, and never lets an archive change what a command prints.
 */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("target", "opskit").toAbsolutePath();
  private static final Path JAR = Path.of("target", "opskit.jar").toAbsolutePath();

  @TempDir Path cache;

  @Test
  void buildMadeAnArchiveForThisJdkAndTheLauncherRunsTheCommandLine() throws Exception {
    try (Stream<Path> files = Files.list(LAUNCHER.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("the build's class-data archive next to the jar")
          .anyMatch(name -> name.startsWith("opskit-") && name.endsWith(".jsa"));
    }
    Run run = run(Map.of(), "--version");
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo("opskit 0.1.0-SNAPSHOT\n");
    assertThat(run.err).isEmpty();
    assertThat(archives()).as("the build's archive fits: nothing made in the cache").isEmpty();
  }

  @Test
  void exitStatusAndStreamsPassThrough() throws Exception {
    Run run = run(Map.of(), "no-such-command");
    assertThat(run.exit).isEqualTo(2);
    assertThat(run.out).isEmpty();
    assertThat(run.err).contains("no-such-command");
  }

  @Test
  void otherJvmOptionsGetTheirOwnArchiveOnFirstRunThenReuseIt() throws Exception {
    Map<String, String> env = Map.of("JAVA_OPTS", "-Xmx200m");
    Run first = run(env, "--version");
    assertThat(first.exit).as(first.toString()).isZero();
    assertThat(first.out).isEqualTo("opskit 0.1.0-SNAPSHOT\n");
    assertThat(first.err).isEmpty();
    List<Path> made = archives();
    assertThat(made).hasSize(1);
    FileTime written = Files.getLastModifiedTime(made.get(0));

    Run second = run(env, "--version");
    assertThat(second.out).isEqualTo(first.out);
    assertThat(second.err).isEmpty();
    assertThat(archives()).isEqualTo(made);
    assertThat(Files.getLastModifiedTime(made.get(0)))
        .as("reused, not rewritten")
        .isEqualTo(written);
  }

  @Test
  void anArchiveTheJvmRejectsIsIgnoredSilently() throws Exception {
    Map<String, String> env = Map.of("JAVA_OPTS", "-Xmx201m");
    run(env, "--version");
    Path archive = archives().get(0);
    archive.toFile().setWritable(true);
    Files.write(archive, new byte[4096]);
    Files.setLastModifiedTime(archive, FileTime.from(Instant.now()));

    Run run = run(env, "--version");
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo("opskit 0.1.0-SNAPSHOT\n");
    assertThat(run.err).isEmpty();
  }

  @Test
  void anUnwritableCacheOnlyMeansNoArchive() throws Exception {
    Path file = Files.writeString(cache.resolve("not-a-directory"), "");
    Run run = run(Map.of("JAVA_OPTS", "-Xmx202m", "XDG_CACHE_HOME", file.toString()), "--version");
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo("opskit 0.1.0-SNAPSHOT\n");
    assertThat(run.err).isEmpty();
  }

  @Test
  void cdsOffAndJavaDashJarGiveTheSameOutput() throws Exception {
    Run off = run(Map.of("OPSKIT_CDS", "off"), "pods", "reap", "--help");
    assertThat(off.exit).as(off.toString()).isZero();
    assertThat(off.out).contains("--chunk-size");
    Run jar =
        exec(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "pods",
                "reap",
                "--help"),
            Map.of());
    assertThat(jar.out).isEqualTo(off.out);
    assertThat(archives()).isEmpty();
  }

  private List<Path> archives() throws IOException {
    Path dir = cache.resolve("opskit");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().collect(Collectors.toList());
    }
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(LAUNCHER.toString()));
    argv.addAll(List.of(args));
    return exec(argv, env);
  }

  private Run exec(List<String> argv, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("OPSKIT_CDS");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("XDG_CACHE_HOME", cache.toString());
    builder.environment().putAll(env);
    Path out = cache.resolve("stdout");
    Path err = cache.resolve("stderr");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + argv);
    }
    return new Run(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static final class Run {
    final int exit;
    final String out;
    final String err;

    Run(int exit, String out, String err) {
      this.exit = exit;
      this.out = out;
      this.err = err;
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }
}
