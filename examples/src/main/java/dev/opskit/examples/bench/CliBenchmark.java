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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code opskit} command line against {@code kubectl} on the same API and data, including JVM
 * start: the embedded Kubernetes API ({@link CliWorkload}: 4,000 pods, 1,000 of them Failed, over
 * HTTP on loopback) and a kubeconfig pointing at it. Each row runs its contenders alternately
 * (opskit through each launcher, opskit as {@code java -jar}, kubectl), restores the deleted pods
 * between runs (untimed), and prints medians and ranges of wall and CPU time (user + system of the
 * child process) and the median of the ratios of adjacent runs. Without kubectl on the PATH (or
 * {@code --kubectl FILE}) it measures the opskit side and says so.
 *
 * <pre>
 * java -cp examples/target/opskit.jar dev.opskit.examples.bench.CliBenchmark \
 *     [--pods 4000] [--failed 1000] [--runs 7] [--kubectl FILE] [--launcher FILE]... \
 *     [--rows reap,images,version,help] [--no-library]
 * </pre>
 *
 * <p>{@code --launcher} may be given several times to compare launchers (say, the same script with
 * {@code JAVA_HOME} set to two JDKs, through small wrapper scripts); the default is the {@code
 * opskit} script next to the jar.
 *
 * <p>The last rows run the same work in this (warm) JVM through the library: the inventory and a
 * reaper dry run, against kubectl's listing and {@code delete --dry-run=client}.
 */
public final class CliBenchmark {
  private static final long TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/self/stat times
  private static final List<String> ROWS = List.of("reap", "images", "version", "help");
  private static final String PLAIN = "java -jar";
  private static final String KUBECTL = "kubectl";

  private CliBenchmark() {}

  /** Runs the benchmark; see the class comment for the options. */
  public static void main(String[] args) throws Exception {
    Map<String, List<String>> options = options(args);
    int pods = Integer.parseInt(option(options, "--pods", "4000"));
    int failed = Integer.parseInt(option(options, "--failed", "1000"));
    int runs = Integer.parseInt(option(options, "--runs", "7"));
    Set<String> rowNames =
        new LinkedHashSet<>(List.of(option(options, "--rows", String.join(",", ROWS)).split(",")));
    if (!ROWS.containsAll(rowNames)) {
      throw new IllegalArgumentException("--rows takes names among " + ROWS + ", was " + rowNames);
    }
    boolean library = !options.containsKey("--no-library");
    Path jar = ownJar();
    List<Path> launchers = new ArrayList<>();
    for (String file :
        options.getOrDefault("--launcher", List.of(jar.resolveSibling("opskit").toString()))) {
      Path launcher = Path.of(file);
      if (!Files.isExecutable(launcher)) {
        throw new IllegalArgumentException(
            "launcher " + launcher + " is not executable; build with ./mvnw -Pquick package");
      }
      launchers.add(launcher);
    }
    Optional<Path> kubectl =
        options.containsKey("--kubectl")
            ? Optional.of(Path.of(option(options, "--kubectl", "")))
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
      Map<String, List<String>> contenders = new LinkedHashMap<>();
      for (Path launcher : launchers) {
        String name = launchers.size() == 1 ? "launcher" : launcher.getFileName().toString();
        contenders.put(name, List.of(launcher.toString()));
        System.out.println("opskit " + name + ": " + launcher);
      }
      contenders.put(PLAIN, List.of(java, "-jar", jar.toString()));
      System.out.println("opskit " + PLAIN + ": " + java + " -jar " + jar);
      if (kubectl.isPresent()) {
        contenders.put(KUBECTL, List.of(kubectl.get().toString(), "--kubeconfig", kubeconfig));
        System.out.println(
            "kubectl: " + kubectl.get() + " (" + kubectlVersion(kubectl.get()) + ")");
      } else {
        System.out.println("kubectl: not found on PATH (pass --kubectl FILE); opskit only");
      }
      System.out.println("load average before: " + loadAverage());
      System.out.println();

      Map<String, Map<String, Series>> rows = new LinkedHashMap<>();
      for (String name : rowNames) {
        List<String> opskit;
        List<String> kube;
        boolean deletes = false;
        switch (name) {
          case "reap":
            opskit = List.of("pods", "reap", "-A", "--min-age", "0s", "--kubeconfig", kubeconfig);
            kube =
                List.of(
                    "delete", "pods", "-A", "--field-selector=status.phase=Failed", "--wait=false");
            deletes = true;
            break;
          case "images":
            opskit = List.of("images", "-A", "-o", "json", "--kubeconfig", kubeconfig);
            kube = List.of("get", "pods", "-A", "-o", "jsonpath={..image}");
            break;
          case "version":
            opskit = List.of("--version");
            kube = List.of("version", "--client");
            break;
          default:
            opskit = List.of("--help");
            kube = List.of("--help");
            break;
        }
        System.out.println(
            "opskit " + String.join(" ", opskit) + "  vs  kubectl " + String.join(" ", kube));
        Map<String, List<String>> commands = new LinkedHashMap<>();
        contenders.forEach(
            (contender, argv) ->
                commands.put(contender, concat(argv, contender.equals(KUBECTL) ? kube : opskit)));
        rows.put(name, row(runs, workload, deletes, commands));
      }

      if (library) {
        library(runs, workload, contenders.get(KUBECTL), rows.get("images"));
      }

      System.out.println();
      System.out.println("load average after: " + loadAverage());
      System.out.println(
          "summary (opskit / kubectl: median and range of adjacent-run ratios of wall time;"
              + " CPU: ratio of medians):");
      for (Map.Entry<String, Map<String, Series>> row : rows.entrySet()) {
        Series k = row.getValue().get(KUBECTL);
        for (Series series : row.getValue().values()) {
          if (series == k) {
            continue;
          }
          if (k == null) {
            System.out.printf(
                Locale.ROOT,
                "  %-8s %-14s %.3f s (%.2f s CPU); kubectl not measured%n",
                row.getKey(),
                series.name,
                series.medianWall(),
                series.medianCpu());
          } else {
            double[] ratios = Series.ratios(series, k);
            System.out.printf(
                Locale.ROOT,
                "  %-8s %-14s %.2fx (%.2f-%.2fx), CPU %.2fx%n",
                row.getKey(),
                series.name,
                ratios[0],
                ratios[1],
                ratios[2],
                series.medianCpu() / Math.max(0.001, k.medianCpu()));
          }
        }
      }
    } finally {
      deleteTree(dir);
    }
    System.exit(0);
  }

  /** The same work in this warm JVM through the library, and kubectl's dry-run delete. */
  private static void library(
      int runs, CliWorkload workload, List<String> kubectl, Map<String, Series> images)
      throws Exception {
    System.out.println();
    System.out.println(
        "same work in this warm JVM (the library), median of " + runs + " after 3 warm-up runs:");
    ApiClient client = workload.fixture.apiClient();
    int pods = workload.total();
    int failed = workload.failed();
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
    if (kubectl != null && images != null && images.containsKey(KUBECTL)) {
      System.out.println(
          "kubectl delete pods -A --field-selector=status.phase=Failed --dry-run=client");
      Series kubectlDry =
          row(
                  runs,
                  workload,
                  false,
                  Map.of(
                      KUBECTL,
                      concat(
                          kubectl,
                          "delete",
                          "pods",
                          "-A",
                          "--field-selector=status.phase=Failed",
                          "--dry-run=client")))
              .get(KUBECTL);
      System.out.printf(
          Locale.ROOT,
          "  library / kubectl: inventory %.2fx of kubectl's listing, reaper dry run %.2fx of"
              + " kubectl's dry-run delete (goal: at most 0.5x)%n",
          inventory / images.get(KUBECTL).medianWall(),
          dryRun / kubectlDry.medianWall());
    }
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

    /**
     * The median, least and greatest of run-by-run ratios (runs i of both alternate, so they saw
     * the same load).
     */
    static double[] ratios(Series a, Series b) {
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < Math.min(a.walls.size(), b.walls.size()); i++) {
        ratios.add(a.walls.get(i) / b.walls.get(i));
      }
      return new double[] {median(ratios), Collections.min(ratios), Collections.max(ratios)};
    }

    void print() {
      System.out.printf(
          Locale.ROOT,
          "    %-14s %7.3f s wall (%.3f-%.3f), %6.2f s CPU (%.2f-%.2f)%n",
          name,
          medianWall(),
          Collections.min(walls),
          Collections.max(walls),
          medianCpu(),
          Collections.min(cpus),
          Collections.max(cpus));
    }
  }

  /** Runs the commands alternately, {@code runs} times each, after one untimed run each. */
  private static Map<String, Series> row(
      int runs, CliWorkload workload, boolean deletes, Map<String, List<String>> commands)
      throws IOException, InterruptedException {
    Map<String, Series> row = new LinkedHashMap<>();
    commands.keySet().forEach(name -> row.put(name, new Series(name)));
    // One untimed run each first: page cache, the API's JIT, the first-run archive if any.
    for (List<String> argv : commands.values()) {
      workload.restoreFailed();
      run(argv);
    }
    for (int i = 0; i < runs; i++) {
      List<String> order = new ArrayList<>(commands.keySet());
      if (i % 2 == 1) {
        Collections.reverse(order);
      }
      for (String name : order) {
        workload.restoreFailed();
        double[] measured = run(commands.get(name));
        if (deletes && workload.fixture.podCount() != workload.total() - workload.failed()) {
          throw new IllegalStateException(name + " left " + workload.fixture.podCount() + " pods");
        }
        row.get(name).walls.add(measured[0]);
        row.get(name).cpus.add(measured[1]);
      }
    }
    workload.restoreFailed();
    row.values().forEach(Series::print);
    return row;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
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

  private static Map<String, List<String>> options(String[] args) {
    Map<String, List<String>> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--no-library")) {
        options.put(args[i], List.of());
        continue;
      }
      if (!List.of("--pods", "--failed", "--runs", "--kubectl", "--launcher", "--rows")
              .contains(args[i])
          || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "unknown or incomplete option '"
                + args[i]
                + "'; options: --pods N --failed N --runs N --kubectl FILE --launcher FILE..."
                + " --rows "
                + String.join(",", ROWS)
                + " --no-library");
      }
      options.computeIfAbsent(args[i], k -> new ArrayList<>()).add(args[++i]);
    }
    return options;
  }

  private static String option(Map<String, List<String>> options, String name, String otherwise) {
    List<String> values = options.getOrDefault(name, List.of());
    return values.isEmpty() ? otherwise : values.get(values.size() - 1);
  }

  private static List<String> concat(List<String> base, String... more) {
    return concat(base, List.of(more));
  }

  private static List<String> concat(List<String> base, List<String> more) {
    List<String> argv = new ArrayList<>(base);
    argv.addAll(more);
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
