package dev.opskit.examples.bench;

import dev.opskit.cluster.ImageInventory;
import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapPolicy;
import io.kubernetes.client.openapi.ApiClient;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code opskit} command line against {@code kubectl} on the same API and data, including JVM
 * start: the embedded Kubernetes API ({@link CliWorkload}: 4,000 pods, 1,000 of them Failed, over
 * HTTP on loopback) and a kubeconfig pointing at it. Each row runs its contenders alternately
 * (opskit through the launcher, opskit as {@code java -jar}, kubectl), restores the deleted pods
 * between runs (untimed), and prints medians of wall and CPU time (user + system of the child
 * process) and the median of the ratios of adjacent runs. Without kubectl on the PATH (or {@code
 * --kubectl FILE}) it measures the opskit side and says so.
 *
 * <pre>
 * java -cp examples/target/opskit.jar dev.opskit.examples.bench.CliBenchmark \
 *     [--pods 4000] [--failed 1000] [--runs 7] [--kubectl FILE] [--launcher FILE]
 * </pre>
 *
 * <p>The last rows run the same work in this (warm) JVM through the library: the inventory and a
 * reaper dry run, against kubectl's listing and {@code delete --dry-run=client}.
 */
public final class CliBenchmark {
  private static final long TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/self/stat times

  private CliBenchmark() {}

  /** Runs the benchmark; see the class comment for the options. */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    int pods = Integer.parseInt(options.getOrDefault("--pods", "4000"));
    int failed = Integer.parseInt(options.getOrDefault("--failed", "1000"));
    int runs = Integer.parseInt(options.getOrDefault("--runs", "7"));
    Path jar = ownJar();
    Path launcher =
        Path.of(options.getOrDefault("--launcher", jar.resolveSibling("opskit").toString()));
    if (!Files.isExecutable(launcher)) {
      throw new IllegalArgumentException(
          "launcher " + launcher + " is not executable; build with ./mvnw -Pquick package");
    }
    Optional<Path> kubectl =
        options.containsKey("--kubectl")
            ? Optional.of(Path.of(options.get("--kubectl")))
            : onPath("kubectl");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    Path dir = Files.createTempDirectory("opskit-cli-bench");
    try (CliWorkload workload = CliWorkload.start(pods, failed, dir)) {
      String kubeconfig = workload.kubeconfig.toString();
      System.out.printf(
          Locale.ROOT,
          "%,d pods, %,d Failed, on the embedded API at %s; %d alternating runs per row%n",
          pods,
          failed,
          workload.fixture.url(),
          runs);
      System.out.println("opskit launcher: " + launcher);
      System.out.println("opskit plain:    " + java + " -jar " + jar);
      if (kubectl.isPresent()) {
        System.out.println(
            "kubectl:         " + kubectl.get() + " (" + kubectlVersion(kubectl.get()) + ")");
      } else {
        System.out.println("kubectl:         not found on PATH (pass --kubectl FILE); opskit only");
      }
      System.out.println();

      List<String> opskit = List.of(launcher.toString());
      List<String> plain = List.of(java, "-jar", jar.toString());
      List<String> k =
          kubectl.map(p -> List.of(p.toString(), "--kubeconfig", kubeconfig)).orElse(null);
      Map<String, Row> rows = new LinkedHashMap<>();

      rows.put(
          "reap",
          row(
              "pods reap -A --min-age 0s  vs  kubectl delete pods -A"
                  + " --field-selector=status.phase=Failed --wait=false",
              runs,
              workload,
              true,
              concat(opskit, "pods", "reap", "-A", "--min-age", "0s", "--kubeconfig", kubeconfig),
              concat(plain, "pods", "reap", "-A", "--min-age", "0s", "--kubeconfig", kubeconfig),
              k == null
                  ? null
                  : concat(
                      k,
                      "delete",
                      "pods",
                      "-A",
                      "--field-selector=status.phase=Failed",
                      "--wait=false")));
      rows.put(
          "images",
          row(
              "images -A -o json  vs  kubectl get pods -A -o jsonpath={..image}",
              runs,
              workload,
              false,
              concat(opskit, "images", "-A", "-o", "json", "--kubeconfig", kubeconfig),
              concat(plain, "images", "-A", "-o", "json", "--kubeconfig", kubeconfig),
              k == null ? null : concat(k, "get", "pods", "-A", "-o", "jsonpath={..image}")));
      rows.put(
          "version",
          row(
              "--version  vs  kubectl version --client",
              runs,
              workload,
              false,
              concat(opskit, "--version"),
              concat(plain, "--version"),
              k == null ? null : concat(k, "version", "--client")));
      rows.put(
          "help",
          row(
              "--help  vs  kubectl --help",
              runs,
              workload,
              false,
              concat(opskit, "--help"),
              concat(plain, "--help"),
              k == null ? null : concat(k, "--help")));

      System.out.println();
      System.out.println(
          "same work in this warm JVM (the library), median of " + runs + " after 3 warm-up runs:");
      ApiClient client = workload.fixture.apiClient();
      double inventory =
          warm(
              runs,
              () -> {
                AtomicInteger containers = new AtomicInteger();
                ImageInventory.on(client).forEach(c -> containers.incrementAndGet());
                if (containers.get() != pods) {
                  throw new IllegalStateException("listed " + containers + " containers");
                }
              });
      double dryRun =
          warm(
              runs,
              () -> {
                int would =
                    PodReaper.on(client)
                        .reap(ReapPolicy.builder().dryRun(true).build())
                        .pods()
                        .size();
                if (would != failed) {
                  throw new IllegalStateException("dry run chose " + would + " pods");
                }
              });
      System.out.printf(Locale.ROOT, "  ImageInventory.forEach      %8.0f ms%n", inventory * 1000);
      System.out.printf(Locale.ROOT, "  PodReaper dry run           %8.0f ms%n", dryRun * 1000);
      if (k != null) {
        Row kubectlDry =
            row(
                "kubectl delete pods -A --field-selector=status.phase=Failed --dry-run=client",
                runs,
                workload,
                false,
                null,
                null,
                concat(
                    k,
                    "delete",
                    "pods",
                    "-A",
                    "--field-selector=status.phase=Failed",
                    "--dry-run=client"));
        System.out.printf(
            Locale.ROOT,
            "  library / kubectl: inventory %.2fx of kubectl's listing, reaper dry run %.2fx of"
                + " kubectl's dry-run delete (goal: at most 0.5x)%n",
            inventory / rows.get("images").kubectl.medianWall(),
            dryRun / kubectlDry.kubectl.medianWall());
      }

      System.out.println();
      System.out.println(
          "summary (launcher / kubectl, median of adjacent-run ratios of wall time):");
      for (Map.Entry<String, Row> entry : rows.entrySet()) {
        Row row = entry.getValue();
        if (row.kubectl == null) {
          System.out.printf(
              Locale.ROOT,
              "  %-8s launcher %.3f s (%.2f s CPU), java -jar %.3f s; kubectl not measured%n",
              entry.getKey(),
              row.launcher.medianWall(),
              row.launcher.medianCpu(),
              row.plain.medianWall());
        } else {
          System.out.printf(
              Locale.ROOT,
              "  %-8s %.2fx (CPU %.2fx); java -jar %.2fx%n",
              entry.getKey(),
              Series.ratio(row.launcher, row.kubectl),
              row.launcher.medianCpu() / Math.max(0.001, row.kubectl.medianCpu()),
              Series.ratio(row.plain, row.kubectl));
        }
      }
    } finally {
      deleteTree(dir);
    }
    System.exit(0);
  }

  /** The runs of one command. */
  private static final class Series {
    final String name;
    final List<Double> walls = new ArrayList<>();
    final List<Double> cpus = new ArrayList<>();

    Series(String name) {
      this.name = name;
    }

    double medianWall() {
      return median(walls);
    }

    double medianCpu() {
      return median(cpus);
    }

    /** The median of run-by-run ratios (runs i of both alternate, so they saw the same load). */
    static double ratio(Series a, Series b) {
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < Math.min(a.walls.size(), b.walls.size()); i++) {
        ratios.add(a.walls.get(i) / b.walls.get(i));
      }
      return median(ratios);
    }

    void print() {
      List<Double> sorted = new ArrayList<>(walls);
      sorted.sort(null);
      System.out.printf(
          Locale.ROOT,
          "    %-10s %7.3f s wall (%.3f-%.3f), %6.2f s CPU%n",
          name,
          medianWall(),
          sorted.get(0),
          sorted.get(sorted.size() - 1),
          medianCpu());
    }
  }

  /** One row: the same work by up to three contenders. */
  private static final class Row {
    Series launcher;
    Series plain;
    Series kubectl;
  }

  private static Row row(
      String title,
      int runs,
      CliWorkload workload,
      boolean deletes,
      List<String> launcher,
      List<String> plain,
      List<String> kubectl)
      throws IOException, InterruptedException {
    System.out.println(title);
    Row row = new Row();
    List<Series> all = new ArrayList<>();
    Map<Series, List<String>> commands = new LinkedHashMap<>();
    if (launcher != null) {
      row.launcher = new Series("launcher");
      commands.put(row.launcher, launcher);
    }
    if (plain != null) {
      row.plain = new Series("java -jar");
      commands.put(row.plain, plain);
    }
    if (kubectl != null) {
      row.kubectl = new Series("kubectl");
      commands.put(row.kubectl, kubectl);
    }
    all.addAll(commands.keySet());
    // One untimed run each first: page cache, the API's JIT, the first-run archive if any.
    for (List<String> argv : commands.values()) {
      workload.restoreFailed();
      run(argv);
    }
    for (int i = 0; i < runs; i++) {
      List<Series> order = new ArrayList<>(all);
      if (i % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (Series series : order) {
        workload.restoreFailed();
        double[] measured = run(commands.get(series));
        if (deletes && workload.fixture.podCount() != workload.total() - workload.failed()) {
          throw new IllegalStateException(
              series.name + " left " + workload.fixture.podCount() + " pods");
        }
        series.walls.add(measured[0]);
        series.cpus.add(measured[1]);
      }
    }
    workload.restoreFailed();
    all.forEach(Series::print);
    return row;
  }

  /** Runs a command to its end; returns wall seconds and the child's CPU seconds. */
  private static double[] run(List<String> argv) throws IOException, InterruptedException {
    File err = File.createTempFile("opskit-cli-bench", ".err");
    try {
      long[] before = childTicks();
      long start = System.nanoTime();
      Process process =
          new ProcessBuilder(argv)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(err)
              .start();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + argv);
      }
      double wall = (System.nanoTime() - start) / 1e9;
      long[] after = childTicks();
      if (process.exitValue() != 0) {
        throw new IOException(
            "exit "
                + process.exitValue()
                + " from "
                + argv
                + ": "
                + Files.readString(err.toPath(), StandardCharsets.UTF_8));
      }
      double cpu = ((after[0] - before[0]) + (after[1] - before[1])) / (double) TICKS_PER_SECOND;
      return new double[] {wall, cpu};
    } finally {
      Files.deleteIfExists(err.toPath());
    }
  }

  /** User and system time of this process's waited-for children (and theirs), in clock ticks. */
  private static long[] childTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    return new long[] {Long.parseLong(fields[13]), Long.parseLong(fields[14])};
  }

  /** A task measured in the warm JVM. */
  private interface Work {
    void run() throws Exception;
  }

  private static double warm(int runs, Work work) throws Exception {
    for (int i = 0; i < 3; i++) {
      work.run();
    }
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      work.run();
      millis.add((System.nanoTime() - start) / 1e6);
    }
    return median(millis) / 1000;
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String kubectlVersion(Path kubectl) {
    try {
      Process process =
          new ProcessBuilder(kubectl.toString(), "version", "--client")
              .redirectErrorStream(true)
              .start();
      String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor(30, TimeUnit.SECONDS);
      return text.lines().findFirst().orElse("unknown version").strip();
    } catch (IOException e) {
      return "version unknown: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "version unknown";
    }
  }

  private static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, program))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static Path ownJar() throws URISyntaxException {
    Path location =
        Path.of(CliBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isRegularFile(location)) {
      throw new IllegalStateException(
          "run from the built jar: java -cp examples/target/opskit.jar "
              + CliBenchmark.class.getName());
    }
    return location;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!List.of("--pods", "--failed", "--runs", "--kubectl", "--launcher").contains(args[i])
          || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "unknown or incomplete option '"
                + args[i]
                + "'; options: --pods N --failed N --runs N --kubectl FILE --launcher FILE");
      }
      options.put(args[i], args[++i]);
    }
    return options;
  }

  private static List<String> concat(List<String> base, String... more) {
    List<String> argv = new ArrayList<>(base);
    argv.addAll(List.of(more));
    return argv;
  }

  private static void deleteTree(Path dir) throws IOException {
    List<Path> paths = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      walk.forEach(paths::add);
    }
    for (int i = paths.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(paths.get(i));
    }
  }
}
