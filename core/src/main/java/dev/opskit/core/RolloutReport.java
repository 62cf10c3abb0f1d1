package dev.opskit.core;

import dev.opskit.core.internal.fleet.JsonWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a {@link Rollout}: one {@link HostResult} per host in rollout order, the total
 * duration, and why the rollout stopped early, if it did. Immutable; renders as a grouped summary,
 * a table and JSON.
 *
 * <pre>{@code
 * RolloutReport report = rollout.run();
 * System.out.println(report.summary());
 * // 287 hosts unchanged: already up to date, 12 hosts changed: set net.core.somaxconn 4096 -> 32768,
 * // 1 host unreachable
 * System.exit(report.isSuccess() ? 0 : 1);
 * }</pre>
 */
public final class RolloutReport {
  private final List<HostResult> hosts;
  private final Duration duration;
  private final String stopReason;
  private final boolean interrupted;

  private RolloutReport(
      List<HostResult> hosts, Duration duration, String stopReason, boolean interrupted) {
    this.hosts = List.copyOf(hosts);
    this.duration = Objects.requireNonNull(duration, "duration");
    this.stopReason = stopReason;
    this.interrupted = interrupted;
  }

  /** A report; {@code stopReason} is null when the rollout ran to its end. */
  public static RolloutReport of(
      List<HostResult> hosts, Duration duration, String stopReason, boolean interrupted) {
    return new RolloutReport(hosts, duration, stopReason, interrupted);
  }

  /** Every host's result, in rollout order (canary hosts first). */
  public List<HostResult> hosts() {
    return hosts;
  }

  /** The result of the host named {@code name}, if it was in the rollout. */
  public Optional<HostResult> host(String name) {
    return hosts.stream().filter(h -> h.host().equals(name)).findFirst();
  }

  /** Wall-clock time of the whole rollout. */
  public Duration duration() {
    return duration;
  }

  /** Why the rollout stopped before its end (budget exceeded, health check, interrupt), if so. */
  public Optional<String> stopReason() {
    return Optional.ofNullable(stopReason);
  }

  /** True when the rollout was interrupted. */
  public boolean interrupted() {
    return interrupted;
  }

  /** How many hosts ended with {@code status}. */
  public int count(HostStatus status) {
    return (int) hosts.stream().filter(h -> h.status() == status).count();
  }

  /** How many hosts ended in each status, every status listed. */
  public Map<HostStatus, Integer> counts() {
    Map<HostStatus, Integer> counts = new EnumMap<>(HostStatus.class);
    for (HostStatus status : HostStatus.values()) {
      counts.put(status, 0);
    }
    hosts.forEach(h -> counts.merge(h.status(), 1, Integer::sum));
    return counts;
  }

  /**
   * True when every host ended as planned: changed or unchanged, none failed, unreachable, rolled
   * back or skipped, and the rollout was not stopped.
   */
  public boolean isSuccess() {
    return stopReason == null
        && hosts.stream()
            .allMatch(h -> h.status() == HostStatus.CHANGED || h.status() == HostStatus.UNCHANGED);
  }

  /**
   * Hosts grouped by status and summary, largest group first: changed, unchanged and rolled-back
   * hosts with the same summary form one group; failed, unreachable and skipped hosts one group per
   * status (their summaries name host-specific errors). Keys are {@code "N hosts <status>:
   * <summary>"} style labels mapped to the host names.
   */
  public Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (HostResult host : hosts) {
      String key = label(host);
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(host.host());
    }
    List<Map.Entry<String, List<String>>> entries = new ArrayList<>(groups.entrySet());
    entries.sort((a, b) -> Integer.compare(b.getValue().size(), a.getValue().size()));
    Map<String, List<String>> sorted = new LinkedHashMap<>();
    entries.forEach(e -> sorted.put(e.getKey(), List.copyOf(e.getValue())));
    return sorted;
  }

  private static String label(HostResult host) {
    String status = host.status().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    switch (host.status()) {
      case CHANGED:
      case UNCHANGED:
      case ROLLED_BACK:
        return status + ": " + host.summary();
      default:
        return status;
    }
  }

  /**
   * One line grouping hosts with identical outcomes, largest group first, as in {@code 287 hosts
   * unchanged: already up to date, 12 hosts changed: set net.core.somaxconn 4096 -> 32768, 1 host
   * unreachable}; followed by the stop reason when the rollout stopped early.
   */
  public String summary() {
    List<String> parts = new ArrayList<>();
    groups()
        .forEach(
            (label, names) ->
                parts.add(names.size() + (names.size() == 1 ? " host " : " hosts ") + label));
    String line = parts.isEmpty() ? "no hosts" : String.join(", ", parts);
    return stopReason == null ? line : line + "; stopped: " + stopReason;
  }

  /** A fixed-width table: one row per host (host, status, duration, summary), then the summary. */
  public String renderTable() {
    int nameWidth = "HOST".length();
    for (HostResult host : hosts) {
      nameWidth = Math.max(nameWidth, host.host().length());
    }
    String format = "%-" + nameWidth + "s  %-11s  %9s  %s%n";
    StringBuilder out = new StringBuilder();
    out.append(String.format(format, "HOST", "STATUS", "DURATION", "SUMMARY"));
    for (HostResult host : hosts) {
      out.append(
          String.format(
              format,
              host.host(),
              host.status(),
              host.duration().toMillis() + " ms",
              host.summary()));
    }
    out.append(summary()).append(System.lineSeparator());
    return out.toString();
  }

  /**
   * The report as one JSON object: {@code success}, {@code interrupted}, {@code stopReason} (or
   * null), {@code durationMillis}, {@code counts} by status, {@code groups} (label, hosts) and
   * {@code hosts} (name, status, summary, durationMillis).
   */
  public String toJson() {
    JsonWriter json = new JsonWriter().beginObject(null);
    json.bool("success", isSuccess())
        .bool("interrupted", interrupted)
        .string("stopReason", stopReason)
        .number("durationMillis", duration.toMillis());
    json.beginObject("counts");
    counts().forEach((status, count) -> json.number(status.name(), count));
    json.endObject();
    json.beginArray("groups");
    groups()
        .forEach(
            (label, names) -> {
              json.beginObject(null).string("label", label).number("count", names.size());
              json.beginArray("hosts");
              names.forEach(name -> json.string(null, name));
              json.endArray().endObject();
            });
    json.endArray();
    json.beginArray("hosts");
    for (HostResult host : hosts) {
      json.beginObject(null)
          .string("name", host.host())
          .string("status", host.status().name())
          .string("summary", host.summary())
          .number("durationMillis", host.duration().toMillis())
          .endObject();
    }
    return json.endArray().endObject().toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
