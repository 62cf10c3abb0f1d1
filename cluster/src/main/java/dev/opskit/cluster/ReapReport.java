package dev.opskit.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The result of a {@link PodReaper} run: every terminal pod it looked at with its {@link
 * ReapOutcome}, grouped views by namespace, node and reason, and run totals. Pods the server
 * returned in another phase (a server or proxy ignoring the field selector) are counted in {@link
 * #skippedNotTerminal()}, never touched and not listed.
 *
 * <p>A run that could not finish (a list failed after retries, the retry budget was spent, a {@code
 * continue} token expired too often) still returns its report, {@linkplain #complete() marked
 * incomplete} with the reason: everything in it happened; pods it never reached are absent.
 *
 * <pre>{@code
 * ReapReport report = reaper.reap(policy);
 * System.out.print(report.render());
 * report.countBy(ReapOutcome.DELETED, ReapedPod::node).forEach((node, n) -> …);
 * }</pre>
 */
public final class ReapReport {
  private final List<ReapedPod> pods;
  private final long scanned;
  private final long skippedNotTerminal;
  private final int pages;
  private final boolean capReached;
  private final boolean dryRun;
  private final Optional<String> incompleteReason;

  /** Creates a complete report; {@link PodReaper} makes these. */
  public ReapReport(
      List<ReapedPod> pods,
      long scanned,
      long skippedNotTerminal,
      int pages,
      boolean capReached,
      boolean dryRun) {
    this(pods, scanned, skippedNotTerminal, pages, capReached, dryRun, Optional.empty());
  }

  /**
   * Creates a report, incomplete when {@code incompleteReason} is present; {@link PodReaper} makes
   * these.
   */
  public ReapReport(
      List<ReapedPod> pods,
      long scanned,
      long skippedNotTerminal,
      int pages,
      boolean capReached,
      boolean dryRun,
      Optional<String> incompleteReason) {
    this.incompleteReason = Objects.requireNonNull(incompleteReason, "incompleteReason");
    this.pods = List.copyOf(pods);
    this.scanned = scanned;
    this.skippedNotTerminal = skippedNotTerminal;
    this.pages = pages;
    this.capReached = capReached;
    this.dryRun = dryRun;
  }

  /** Every terminal pod looked at, in the order outcomes were decided. */
  public List<ReapedPod> pods() {
    return pods;
  }

  /** The pods with this outcome. */
  public List<ReapedPod> pods(ReapOutcome outcome) {
    return pods.stream().filter(p -> p.outcome() == outcome).toList();
  }

  /** Deleted pods. */
  public List<ReapedPod> deleted() {
    return pods(ReapOutcome.DELETED);
  }

  /** Pods a dry run would have deleted. */
  public List<ReapedPod> wouldDelete() {
    return pods(ReapOutcome.WOULD_DELETE);
  }

  /** Pods kept by the policy, each with why. */
  public List<ReapedPod> kept() {
    return pods(ReapOutcome.KEPT);
  }

  /** Pods whose delete failed after retries, each with the error. */
  public List<ReapedPod> failed() {
    return pods(ReapOutcome.FAILED);
  }

  /** Pods replaced or changed between list and delete (409), left alone. */
  public List<ReapedPod> changed() {
    return pods(ReapOutcome.CHANGED);
  }

  /** Pods already gone when their delete arrived (404). */
  public List<ReapedPod> alreadyGone() {
    return pods(ReapOutcome.ALREADY_GONE);
  }

  /** How many pods had this outcome. */
  public long count(ReapOutcome outcome) {
    return pods.stream().filter(p -> p.outcome() == outcome).count();
  }

  /**
   * Counts of pods with {@code outcome} per key, sorted by key, for example {@code countBy(DELETED,
   * ReapedPod::namespace)}.
   */
  public Map<String, Long> countBy(ReapOutcome outcome, Function<ReapedPod, String> key) {
    return Collections.unmodifiableMap(
        pods.stream()
            .filter(p -> p.outcome() == outcome)
            .collect(Collectors.groupingBy(key, TreeMap::new, Collectors.counting())));
  }

  /** Counts per namespace of pods with {@code outcome}. */
  public Map<String, Long> byNamespace(ReapOutcome outcome) {
    return countBy(outcome, ReapedPod::namespace);
  }

  /** Counts per node of pods with {@code outcome} (unscheduled pods under the empty string). */
  public Map<String, Long> byNode(ReapOutcome outcome) {
    return countBy(outcome, ReapedPod::node);
  }

  /** Counts per reason of pods with {@code outcome}. */
  public Map<String, Long> byReason(ReapOutcome outcome) {
    return countBy(outcome, ReapedPod::reason);
  }

  /** Pods received from the server in total (all pages, all phases). */
  public long scanned() {
    return scanned;
  }

  /**
   * Pods the server returned although they were not in the listed phase (Running, Pending…); the
   * client re-check skipped them.
   */
  public long skippedNotTerminal() {
    return skippedNotTerminal;
  }

  /** List pages read. */
  public int pages() {
    return pages;
  }

  /** True when {@link ReapPolicy#maxDeletions()} stopped the run early. */
  public boolean capReached() {
    return capReached;
  }

  /**
   * True when the run went through every page it had to list; false when it stopped early on an
   * error ({@link #incompleteReason()} says which). A deletion cap is not an error: a capped run is
   * complete.
   */
  public boolean complete() {
    return incompleteReason.isEmpty();
  }

  /** Why the run stopped before listing every pod, if it did. */
  public Optional<String> incompleteReason() {
    return incompleteReason;
  }

  /** True when this was a dry run. */
  public boolean dryRun() {
    return dryRun;
  }

  /** A human-readable summary: totals, then counts per namespace, node and reason. */
  public String render() {
    ReapOutcome acted = dryRun ? ReapOutcome.WOULD_DELETE : ReapOutcome.DELETED;
    StringBuilder text = new StringBuilder();
    text.append(dryRun ? "dry run: " : "")
        .append(count(acted))
        .append(dryRun ? " pods would be deleted" : " pods deleted")
        .append(", ")
        .append(count(ReapOutcome.KEPT))
        .append(" kept, ")
        .append(count(ReapOutcome.CHANGED))
        .append(" changed since listed, ")
        .append(count(ReapOutcome.ALREADY_GONE))
        .append(" already gone, ")
        .append(count(ReapOutcome.FAILED))
        .append(" failed; ")
        .append(scanned)
        .append(" pods scanned in ")
        .append(pages)
        .append(" pages")
        .append(capReached ? "; deletion cap reached" : "")
        .append('\n');
    incompleteReason.ifPresent(
        why ->
            text.append("INCOMPLETE: ")
                .append(why)
                .append("; pods after that point were not looked at\n"));
    section(text, "namespace", byNamespace(acted));
    section(text, "node", byNode(acted));
    section(text, "reason", byReason(acted));
    List<ReapedPod> problems = new ArrayList<>(failed());
    problems.addAll(changed());
    for (ReapedPod pod : problems) {
      text.append("  ")
          .append(pod.outcome())
          .append(' ')
          .append(pod.key())
          .append(": ")
          .append(pod.detail())
          .append('\n');
    }
    return text.toString();
  }

  private static void section(StringBuilder text, String title, Map<String, Long> counts) {
    if (counts.isEmpty()) {
      return;
    }
    text.append("by ").append(title).append(":\n");
    counts.forEach(
        (key, n) ->
            text.append("  ")
                .append(key.isEmpty() ? "(none)" : key)
                .append(": ")
                .append(n)
                .append('\n'));
  }

  @Override
  public String toString() {
    return "ReapReport{deleted="
        + count(ReapOutcome.DELETED)
        + ", wouldDelete="
        + count(ReapOutcome.WOULD_DELETE)
        + ", kept="
        + count(ReapOutcome.KEPT)
        + ", changed="
        + count(ReapOutcome.CHANGED)
        + ", alreadyGone="
        + count(ReapOutcome.ALREADY_GONE)
        + ", failed="
        + count(ReapOutcome.FAILED)
        + ", scanned="
        + scanned
        + (complete() ? "" : ", incomplete")
        + "}";
  }
}
