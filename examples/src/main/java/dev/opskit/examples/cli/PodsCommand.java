package dev.opskit.examples.cli;

import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapListener;
import dev.opskit.cluster.ReapOutcome;
import dev.opskit.cluster.ReapPolicy;
import dev.opskit.cluster.ReapReport;
import dev.opskit.cluster.ReapedPod;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opskit pods reap}: delete failed pods a policy selects, safely. */
@Command(
    mixinStandardHelpOptions = true,
    name = "pods",
    description = "Pod chores.",
    subcommands = {PodsCommand.Reap.class})
final class PodsCommand {
  private static final Pattern AGE = Pattern.compile("(?:(\\d+)([dhms]))+");
  private static final Pattern AGE_PART = Pattern.compile("(\\d+)([dhms])");

  private PodsCommand() {}

  /**
   * Parses an age such as {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, {@code 1h30m} or an ISO
   * 8601 duration ({@code PT1H}).
   *
   * @throws IllegalArgumentException naming the value when it is none of these
   */
  static Duration parseAge(String option, String value) {
    String text = value.strip();
    if (AGE.matcher(text).matches()) {
      Duration total = Duration.ZERO;
      Matcher part = AGE_PART.matcher(text);
      try {
        while (part.find()) {
          long amount = Long.parseLong(part.group(1));
          switch (part.group(2)) {
            case "d" -> total = total.plus(Duration.ofDays(amount));
            case "h" -> total = total.plus(Duration.ofHours(amount));
            case "m" -> total = total.plus(Duration.ofMinutes(amount));
            default -> total = total.plus(Duration.ofSeconds(amount));
          }
        }
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException(option + " '" + value + "' is too large", e);
      }
      return total;
    }
    if (text.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        Duration parsed = Duration.parse(text.toUpperCase(Locale.ROOT));
        if (!parsed.isNegative()) {
          return parsed;
        }
      } catch (DateTimeParseException e) {
        // fall through to the message below
      }
    }
    throw new IllegalArgumentException(
        option + " '" + value + "' is not a duration such as 90s, 30m, 1h, 2d or 1h30m");
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "reap",
      description = {
        "Delete Failed pods (not Running or Pending ones) that the options select.",
        "Pods owned by a Job are kept unless --keep-owner-kind says otherwise."
      })
  static final class Reap implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClusterOptions cluster;
    @Mixin ClusterScope scope;

    @Option(
        names = "--reason",
        paramLabel = "R",
        split = ",",
        description =
            "Only pods with this reason: Evicted, OOMKilled, Error, Shutdown… (repeatable).")
    List<String> reasons = List.of();

    @Option(
        names = "--min-age",
        paramLabel = "AGE",
        description = "Only pods that failed at least this long ago: 90s, 30m, 1h, 2d, 1h30m.")
    String minAge;

    @Option(
        names = "--keep-owner-kind",
        paramLabel = "K",
        split = ",",
        description = "Keep pods owned by this kind (repeatable; default Job; 'none' keeps none).")
    List<String> keepOwnerKinds;

    @Option(names = "--max", paramLabel = "N", description = "Delete at most N pods this run.")
    Integer max;

    @Option(names = "--dry-run", description = "Report what would be deleted; delete nothing.")
    boolean dryRun;

    @Option(
        names = "--chunk-size",
        paramLabel = "N",
        description =
            "Pods per list request, as kubectl's (1..10000). Default: 500, then 2000 once a page"
                + " shows the server applies the Failed selector (it counts after selecting).")
    Integer chunkSize;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "table|json",
        defaultValue = "table",
        description = "Output format (default ${DEFAULT-VALUE}).")
    String output;

    @Override
    public Integer call() throws Exception {
      ClusterOutput.Format format =
          ClusterOutput.format(output, ClusterOutput.Format.TABLE, ClusterOutput.Format.JSON);
      ReapPolicy.Builder policy =
          ReapPolicy.builder().dryRun(dryRun).requests(cluster.requestPolicy());
      if (chunkSize != null) {
        int size = ClusterOutput.chunkSize(chunkSize);
        policy.pageSize(size).selectedPageSize(size);
      }
      for (String reason : reasons) {
        if (reason.isBlank()) {
          throw new IllegalArgumentException("--reason must not be empty");
        }
        policy.addReasons(reason.strip());
      }
      if (minAge != null) {
        policy.minAge(parseAge("--min-age", minAge));
      }
      if (keepOwnerKinds != null) {
        Set<String> kinds = new TreeSet<>();
        for (String kind : keepOwnerKinds) {
          if (kind.equals("none")) {
            continue;
          }
          if (!kind.matches("[A-Za-z][A-Za-z0-9]*")) {
            throw new IllegalArgumentException(
                "--keep-owner-kind '" + kind + "' is not a kind such as Job or StatefulSet");
          }
          kinds.add(kind);
        }
        policy.keepOwnerKinds(kinds);
      }
      if (max != null) {
        if (max < 1) {
          throw new IllegalArgumentException("--max must be at least 1, was " + max);
        }
        policy.maxDeletions(max);
      }
      ClusterOptions.Cluster connected = cluster.connect();
      policy.namespaces(scope.resolve(connected.namespace));
      ReapPolicy built = policy.build();

      ReapReport report;
      try (ProgressBar progress = ProgressBar.onTerminal(spec.commandLine().getErr())) {
        PodReaper reaper = PodReaper.on(connected.client);
        if (progress.enabled()) {
          reaper = reaper.withListener(new ReapProgress(progress));
        }
        report = reaper.reap(built);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (format == ClusterOutput.Format.JSON) {
        out.println(ClusterOutput.GSON.toJson(json(report)));
      } else {
        table(out, report);
      }
      out.flush();
      if (!report.complete()) {
        spec.commandLine()
            .getErr()
            .println(
                "opskit: pods reap stopped before the end: "
                    + report.incompleteReason().orElseThrow()
                    + "; the report lists only what was done");
        return OpskitCli.FAILED;
      }
      return report.failed().isEmpty() ? 0 : OpskitCli.FAILED;
    }

    static Map<String, Object> json(ReapReport report) {
      List<Map<String, Object>> deleted = new ArrayList<>();
      List<Map<String, Object>> kept = new ArrayList<>();
      List<Map<String, Object>> failed = new ArrayList<>();
      for (ReapedPod pod : report.pods()) {
        switch (pod.outcome()) {
          case DELETED, WOULD_DELETE -> deleted.add(deletedRow(pod));
          case FAILED -> {
            Map<String, Object> row = deletedRow(pod);
            row.put("error", pod.detail());
            failed.add(row);
          }
          default -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("namespace", pod.namespace());
            row.put("name", pod.name());
            row.put("why", why(pod));
            kept.add(row);
          }
        }
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("dryRun", report.dryRun());
      json.put("deleted", deleted);
      json.put("kept", kept);
      json.put("failed", failed);
      json.put("complete", report.complete());
      report.incompleteReason().ifPresent(why -> json.put("incompleteReason", why));
      return json;
    }

    private static Map<String, Object> deletedRow(ReapedPod pod) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("namespace", pod.namespace());
      row.put("name", pod.name());
      row.put("reason", pod.reason());
      row.put("node", pod.node());
      return row;
    }

    /** Why a pod was not deleted: the policy's reason, or what the server answered. */
    private static String why(ReapedPod pod) {
      if (pod.outcome() == ReapOutcome.CHANGED) {
        return "replaced or changed since listed, left alone (" + pod.detail() + ")";
      }
      if (pod.outcome() == ReapOutcome.ALREADY_GONE) {
        return "already gone when the delete arrived (" + pod.detail() + ")";
      }
      return pod.detail();
    }

    private static void table(PrintWriter out, ReapReport report) {
      List<List<String>> acted = new ArrayList<>();
      List<List<String>> kept = new ArrayList<>();
      List<List<String>> failed = new ArrayList<>();
      for (ReapedPod pod : report.pods()) {
        switch (pod.outcome()) {
          case DELETED, WOULD_DELETE ->
              acted.add(List.of(pod.namespace(), pod.name(), pod.reason(), pod.node()));
          case FAILED -> failed.add(List.of(pod.namespace(), pod.name(), pod.detail()));
          default -> kept.add(List.of(pod.namespace(), pod.name(), why(pod)));
        }
      }
      if (!acted.isEmpty()) {
        out.println(report.dryRun() ? "would delete:" : "deleted:");
        ClusterOutput.table(out, List.of("namespace", "name", "reason", "node"), acted);
        out.println();
      }
      if (!kept.isEmpty()) {
        out.println("kept:");
        ClusterOutput.table(out, List.of("namespace", "name", "why"), kept);
        out.println();
      }
      if (!failed.isEmpty()) {
        out.println("failed:");
        ClusterOutput.table(out, List.of("namespace", "name", "error"), failed);
        out.println();
      }
      out.print(report.render());
    }
  }

  /** Feeds the progress bar: pods decided out of pods listed so far. */
  static final class ReapProgress implements ReapListener {
    private final ProgressBar bar;
    private final AtomicLong listed = new AtomicLong();
    private final AtomicLong done = new AtomicLong();

    ReapProgress(ProgressBar bar) {
      this.bar = bar;
    }

    @Override
    public void pageListed(int page, int podCount) {
      bar.update("pods (page " + page + ")", done.get(), listed.addAndGet(podCount));
    }

    @Override
    public void podDone(ReapedPod pod) {
      bar.update("pods", done.incrementAndGet(), listed.get());
    }
  }
}
