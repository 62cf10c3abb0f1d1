package dev.opskit.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher the build puts next to {@code opskit.jar}: it runs the command line, maps a
 * class-data archive (or, on JDK 25 and later, an AOT cache) only when it fits, and never lets one
 * change what a command prints. The JDK 25 cases run with the first JDK 25 or later found in {@code
 * OPSKIT_TEST_JDK25} or under {@code /usr/lib/jvm}, and are skipped, saying so, when there is none.
 */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("target", "opskit").toAbsolutePath();
  private static final Path JAR = Path.of("target", "opskit.jar").toAbsolutePath();
  private static final String TEST_JDK = System.getProperty("java.home");
  private static final String VERSION = "opskit 0.1.0-SNAPSHOT\n";
  private static final String[] REAP_HELP = {"pods", "reap", "--help"};

  @TempDir Path cache;

  @Test
  void buildMadeAnArchiveForThisJdkAndTheLauncherRunsTheCommandLine() throws Exception {
    try (Stream<Path> files = Files.list(LAUNCHER.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("the build's class-data archive or AOT cache next to the jar")
          .anyMatch(name -> name.matches("opskit-[0-9]+-[0-9]+\\.(jsa|aot)"));
    }
    Run run = run(Map.of(), REAP_HELP);
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).contains("--chunk-size");
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
    Run first = run(env, REAP_HELP);
    assertThat(first.exit).as(first.toString()).isZero();
    assertThat(first.out).contains("--chunk-size");
    assertThat(first.err).isEmpty();
    List<Path> made = awaitCache();
    FileTime written = Files.getLastModifiedTime(made.get(0));

    Run second = run(env, REAP_HELP);
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
    Run first = run(env, REAP_HELP);
    Path archive = awaitCache().get(0);
    archive.toFile().setWritable(true);
    Files.write(archive, new byte[4096]);
    Files.setLastModifiedTime(archive, FileTime.from(Instant.now()));

    Run run = run(env, REAP_HELP);
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo(first.out);
    assertThat(run.err).isEmpty();
  }

  @Test
  void anUnwritableCacheOnlyMeansNoArchive() throws Exception {
    Path file = Files.writeString(cache.resolve("not-a-directory"), "");
    Run run = run(Map.of("JAVA_OPTS", "-Xmx202m", "XDG_CACHE_HOME", file.toString()), REAP_HELP);
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).contains("--chunk-size");
    assertThat(run.err).isEmpty();
  }

  /** They load a handful of classes from the jar, so mapping an archive would cost more. */
  @Test
  void versionAndHelpRunWithoutAnArchiveAndMakeNone() throws Exception {
    Map<String, String> env = Map.of("JAVA_OPTS", "-Xmx203m");
    for (String option : List.of("--version", "-V")) {
      Run run = run(env, option);
      assertThat(run.exit).as(run.toString()).isZero();
      assertThat(run.out).isEqualTo(VERSION);
      assertThat(run.err).isEmpty();
    }
    Run help = run(env, "--help");
    assertThat(help.exit).as(help.toString()).isZero();
    assertThat(help.out).startsWith("Usage: opskit").contains("pods").contains("images");
    assertThat(run(env, "-h").out).isEqualTo(help.out);
    assertThat(archives()).isEmpty();
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

  /**
   * On JDK 25 the first run with new options runs without a cache and makes one in the background
   * from the sample workload; later runs map it, and a cache the JVM rejects changes nothing.
   */
  @Test
  void jdk25FirstRunMakesAnAotCacheInTheBackgroundThatLaterRunsReuse() throws Exception {
    String jdk = jdk25();
    Run first = run(jdk, Map.of(), REAP_HELP);
    assertThat(first.exit).as(first.toString()).isZero();
    assertThat(first.out).contains("--chunk-size");
    assertThat(first.err).isEmpty();
    List<Path> made = awaitCache();
    assertThat(made.get(0).toString()).endsWith(".aot");
    FileTime written = Files.getLastModifiedTime(made.get(0));

    Run second = run(jdk, Map.of(), REAP_HELP);
    assertThat(second.exit).as(second.toString()).isZero();
    assertThat(second.out).isEqualTo(first.out);
    assertThat(second.err).isEmpty();
    assertThat(archives()).as("reused: no second training").isEqualTo(made);
    assertThat(Files.getLastModifiedTime(made.get(0)))
        .as("reused, not rewritten")
        .isEqualTo(written);

    made.get(0).toFile().setWritable(true);
    Files.write(made.get(0), new byte[4096]);
    Files.setLastModifiedTime(made.get(0), FileTime.from(Instant.now()));
    Run rejected = run(jdk, Map.of(), REAP_HELP);
    assertThat(rejected.exit).as(rejected.toString()).isZero();
    assertThat(rejected.out).isEqualTo(second.out);
    assertThat(rejected.err).isEmpty();
  }

  @Test
  void jdk25CdsOffMakesNoCacheAndPrintsTheSame() throws Exception {
    String jdk = jdk25();
    Run off = run(jdk, Map.of("OPSKIT_CDS", "off"), "pods", "reap", "--help");
    assertThat(off.exit).as(off.toString()).isZero();
    assertThat(off.err).isEmpty();
    Run test = run(TEST_JDK, Map.of("OPSKIT_CDS", "off"), "pods", "reap", "--help");
    assertThat(off.out).isEqualTo(test.out);
    assertThat(archives()).isEmpty();
  }

  @Test
  void jdk25TrainingMakesAnAotCacheNextToTheJarThatTheLauncherMaps() throws Exception {
    String jdk = jdk25();
    Path dir = Files.createDirectory(cache.resolve("install"));
    Path launcher = Files.copy(LAUNCHER, dir.resolve("opskit"), StandardCopyOption.COPY_ATTRIBUTES);
    Files.copy(JAR, dir.resolve("opskit.jar"));
    Run train = exec(List.of(launcher.toString()), jdk, Map.of("OPSKIT_CDS", "train"));
    assertThat(train.exit).as(train.toString()).isZero();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted())
          .as("one AOT cache beside the jar, nothing left over")
          .hasSize(3)
          .contains("opskit", "opskit.jar")
          .anyMatch(name -> name.matches("opskit-[0-9]+-[0-9]+\\.aot"));
    }

    Run run = exec(List.of(launcher.toString(), "pods", "reap", "--help"), jdk, Map.of());
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).contains("--chunk-size");
    assertThat(run.err).isEmpty();
    assertThat(archives()).as("the trained cache fits: nothing made in the cache").isEmpty();
  }

  /** A JDK 25 or later to run the launcher with; skips the test when there is none. */
  private static String jdk25() throws IOException {
    List<Path> candidates = new ArrayList<>();
    String named = System.getenv("OPSKIT_TEST_JDK25");
    if (named != null && !named.isBlank()) {
      candidates.add(Path.of(named));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        dirs.sorted().forEach(candidates::add);
      }
    }
    for (Path home : candidates) {
      Path release = home.resolve("release");
      if (Files.isExecutable(home.resolve("bin/java")) && Files.isRegularFile(release)) {
        Matcher version =
            Pattern.compile("(?m)^JAVA_VERSION=\"([0-9]+)")
                .matcher(Files.readString(release, StandardCharsets.UTF_8));
        if (version.find() && Integer.parseInt(version.group(1)) >= 25) {
          return home.toString();
        }
      }
    }
    Assumptions.abort(
        "no JDK 25 or later found (set OPSKIT_TEST_JDK25 to its home, or install one under"
            + " /usr/lib/jvm): the launcher's AOT-cache path is not tested here");
    throw new AssertionError("unreachable");
  }

  /**
   * Waits until a first run has left exactly one archive or cache, and nothing else, in the cache
   * directory (on JDK 25 the launcher makes it in the background).
   */
  private List<Path> awaitCache() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      List<Path> files = archives();
      if (files.size() == 1
          && files.get(0).getFileName().toString().matches("opskit-[0-9]+-[0-9]+\\.(jsa|aot)")) {
        return files;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not exactly one archive in the cache directory: " + files);
      }
      Thread.sleep(200);
    }
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
    return run(TEST_JDK, env, args);
  }

  private Run run(String javaHome, Map<String, String> env, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(LAUNCHER.toString()));
    argv.addAll(List.of(args));
    return exec(argv, javaHome, env);
  }

  private Run exec(List<String> argv, Map<String, String> env) throws Exception {
    return exec(argv, TEST_JDK, env);
  }

  private Run exec(List<String> argv, String javaHome, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("OPSKIT_CDS");
    builder.environment().put("JAVA_HOME", javaHome);
    builder.environment().put("XDG_CACHE_HOME", cache.toString());
    builder.environment().putAll(env);
    Path out = cache.resolve("stdout");
    Path err = cache.resolve("stderr");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
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
