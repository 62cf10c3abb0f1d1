package dev.opskit.cluster;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.internal.json.TolerantJson;
import dev.opskit.cluster.internal.reaper.LabelSelector;
import dev.opskit.cluster.internal.reaper.PodDelete;
import dev.opskit.cluster.internal.reaper.PodFacts;
import dev.opskit.cluster.internal.reaper.PodListJson;
import dev.opskit.cluster.internal.reaper.Retrier;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;

/**
 * Deletes terminal pods (Failed, optionally Succeeded) that a {@link ReapPolicy} selects: the
 * typed, safe form of {@code kubectl delete pods --field-selector=status.phase=Failed}.
 *
 * <pre>{@code
 * ApiClient client = Config.defaultClient();            // the caller chooses how to connect
 * ReapReport report = PodReaper.on(client)
 *     .withListener(progress)
 *     .reap(ReapPolicy.builder().addReasons("Evicted").minAge(Duration.ofHours(1)).build());
 * System.out.print(report.render());
 * }</pre>
 *
 * <p>How it stays safe:
 *
 * <ul>
 *   <li>Pods are listed with the server-side selector {@code status.phase=Failed} and the phase is
 *       re-checked on the client, so a server or proxy that ignores the selector cannot make it
 *       delete a Running or Pending pod.
 *   <li>Every delete carries the listed pod's UID as precondition: a pod recreated under the same
 *       name (a StatefulSet pod) between list and delete answers 409 and is left alone ({@link
 *       ReapOutcome#CHANGED}). 404 means already gone. A delete whose answer was lost (reset,
 *       timeout) is followed by a read of the pod: gone or being deleted counts as deleted.
 *   <li>Requests follow {@link ReapPolicy#requests()}: timeouts, retries with backoff, a global
 *       pause on 429 honouring {@code Retry-After}, and a retry budget for the whole run.
 *   <li>Lists are paged with {@code limit}/{@code continue}: one page is in memory at a time. The
 *       first page holds {@link ReapPolicy#pageSize()} pods; once a page shows that the server
 *       applies the phase selector (every pod on it is in that phase), later pages ask for {@link
 *       ReapPolicy#selectedPageSize()}. When a {@code continue} token expires (410 Gone) the list
 *       starts again from the first page, skipping pods already handled. Unknown JSON fields from
 *       newer servers are ignored.
 *   <li>A run that cannot finish (a list failing after retries, the retry budget spent) returns the
 *       report of what it did, {@linkplain ReapReport#complete() marked incomplete}.
 *   <li>Job-owned pods are kept by default, and {@link ReapPolicy#maxDeletions()} caps a run.
 * </ul>
 *
 * <p>The client is passed in and never closed here; nothing reads a kubeconfig. Instances are
 * immutable and safe for concurrent use; each {@link #reap} call uses its own worker threads.
 */
public final class PodReaper {
  private final ApiClient client;
  private final Clock clock;
  private final ReapListener listener;

  private PodReaper(ApiClient client, Clock clock, ReapListener listener) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** A reaper talking to the cluster through {@code client}. */
  public static PodReaper on(ApiClient client) {
    return new PodReaper(client, Clock.systemUTC(), ReapListener.NONE);
  }

  /** This reaper measuring pod ages against {@code clock}. */
  public PodReaper withClock(Clock clock) {
    return new PodReaper(client, clock, listener);
  }

  /** This reaper reporting progress to {@code listener}. */
  public PodReaper withListener(ReapListener listener) {
    return new PodReaper(client, clock, listener);
  }

  /**
   * Runs the policy once. API failures do not throw: the run stops and the returned report is
   * {@linkplain ReapReport#complete() incomplete}, with the reason, and lists what was done.
   *
   * @throws InterruptedException when interrupted; deletes in flight finish, no new ones start
   */
  public ReapReport reap(ReapPolicy policy) throws InterruptedException {
    Run run = new Run(policy);
    ExecutorService workers =
        Executors.newFixedThreadPool(
            policy.concurrency(),
            task -> {
              Thread thread = new Thread(task, "pod-reaper");
              thread.setDaemon(true);
              return thread;
            });
    Optional<String> incomplete = Optional.empty();
    try {
      List<String> phases = new ArrayList<>();
      phases.add("Failed");
      if (policy.includeSucceeded()) {
        phases.add("Succeeded");
      }
      List<Optional<String>> scopes = new ArrayList<>();
      if (policy.namespaces().isEmpty()) {
        scopes.add(Optional.empty());
      } else {
        for (String namespace : new TreeSet<>(policy.namespaces())) {
          if (!policy.excludedNamespaces().contains(namespace)) {
            scopes.add(Optional.of(namespace));
          }
        }
      }
      for (String phase : phases) {
        for (Optional<String> scope : scopes) {
          if (!run.cap.get() && run.stop.get() == null) {
            run.listAndReap(phase, scope, workers);
          }
        }
      }
    } catch (ClusterRequestException | IOException e) {
      incomplete = Optional.of(e.getMessage());
    } finally {
      workers.shutdown();
    }
    if (incomplete.isEmpty() && run.stop.get() != null) {
      incomplete = Optional.of(run.stop.get());
    }
    return new ReapReport(
        run.results,
        run.scanned.get(),
        run.notTerminal.get(),
        run.pages.get(),
        run.cap.get(),
        policy.dryRun(),
        incomplete);
  }

  private final class Run {
    /** Fresh lists after an expired {@code continue} token, per phase and scope. */
    static final int MAX_RESTARTS = 5;

    final ReapPolicy policy;
    final CoreV1Api api = new CoreV1Api(client);
    final PodDelete deletes;
    final Retrier retrier;
    final Optional<LabelSelector> labels;
    final List<ReapedPod> results = Collections.synchronizedList(new ArrayList<>());
    final Set<String> handled = ConcurrentHashMap.newKeySet();
    final AtomicInteger scanned = new AtomicInteger();
    final AtomicInteger notTerminal = new AtomicInteger();
    final AtomicInteger pages = new AtomicInteger();
    final AtomicInteger reserved = new AtomicInteger();
    final AtomicBoolean cap = new AtomicBoolean();
    final AtomicReference<String> stop = new AtomicReference<>();

    Run(ReapPolicy policy) {
      this.policy = policy;
      this.retrier = new Retrier(policy.requests(), client);
      this.deletes = new PodDelete(client, retrier::newCall);
      this.labels = policy.labelSelector().map(LabelSelector::parse);
    }

    void listAndReap(String phase, Optional<String> namespace, ExecutorService workers)
        throws IOException, InterruptedException {
      StringBuilder fields = new StringBuilder("status.phase=").append(phase);
      if (namespace.isEmpty()) {
        for (String excluded : new TreeSet<>(policy.excludedNamespaces())) {
          fields.append(",metadata.namespace!=").append(excluded);
        }
      }
      String fieldSelector = fields.toString();
      String token = null;
      int restarts = 0;
      int limit = policy.pageSize();
      while (true) {
        V1PodList page;
        try {
          page = list(namespace, fieldSelector, limit, token);
        } catch (ClusterRequestException e) {
          if (e.statusCode() == 410 && token != null) {
            if (++restarts > MAX_RESTARTS) {
              throw new IOException(
                  e.request()
                      + ": the continue token expired (410) "
                      + restarts
                      + " times; gave up listing",
                  e);
            }
            token = null;
            limit = policy.pageSize();
            continue;
          }
          throw e;
        }
        List<V1Pod> items = page.getItems() == null ? List.of() : page.getItems();
        listener.pageListed(pages.incrementAndGet(), items.size());
        scanned.addAndGet(items.size());
        if (reapPage(items, phase, workers)) {
          // The server applied the selector, and it counts limit after selecting: a larger page
          // holds only pods this run looks at.
          limit = policy.selectedPageSize();
        }
        String next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        if (next == null || next.isEmpty() || cap.get() || stop.get() != null) {
          return;
        }
        if (next.equals(token)) {
          throw new IOException(
              "the API returned the same continue token twice; stopped listing to avoid a loop");
        }
        token = next;
      }
    }

    V1PodList list(Optional<String> namespace, String fieldSelector, int limit, String token)
        throws IOException, InterruptedException {
      String request =
          "GET "
              + namespace.map(ns -> "/api/v1/namespaces/" + ns + "/pods").orElse("/api/v1/pods")
              + "?fieldSelector="
              + fieldSelector
              + (token == null ? "" : "&continue=…");
      try {
        return retrier.run(
            request,
            () -> {
              Call call =
                  namespace.isPresent()
                      ? api.listNamespacedPod(namespace.get())
                          .fieldSelector(fieldSelector)
                          .labelSelector(policy.labelSelector().orElse(null))
                          .limit(limit)
                          ._continue(token)
                          .buildCall(null)
                      : api.listPodForAllNamespaces()
                          .fieldSelector(fieldSelector)
                          .labelSelector(policy.labelSelector().orElse(null))
                          .limit(limit)
                          ._continue(token)
                          .buildCall(null);
              return PodListJson.execute(retrier.newCall(call));
            },
            (attempt, status) -> listener.retrying(request, attempt, status));
      } catch (ApiException e) {
        throw new ClusterRequestException(request, e.getCode(), responseText(e));
      }
    }

    /** Reaps one page; returns whether every pod on it was in {@code phase}. */
    boolean reapPage(List<V1Pod> items, String phase, ExecutorService workers)
        throws InterruptedException {
      Instant now = clock.instant();
      List<Future<?>> inFlight = new ArrayList<>();
      boolean allInPhase = true;
      for (V1Pod pod : items) {
        if (stop.get() != null) {
          break;
        }
        PodFacts facts = new PodFacts(pod);
        if (!facts.phase().equals(phase)) {
          notTerminal.incrementAndGet();
          allInPhase = false;
          continue;
        }
        if (!handled.add(
            facts.uid().isEmpty() ? facts.namespace() + "/" + facts.name() : facts.uid())) {
          continue;
        }
        ReapedPod entry =
            new ReapedPod(
                facts.namespace(),
                facts.name(),
                facts.uid(),
                facts.node(),
                facts.phase(),
                facts.groupingReason(),
                facts.failedAt(),
                ReapOutcome.KEPT,
                "");
        Optional<String> why = whyKeep(facts, entry, now);
        if (why.isPresent()) {
          done(entry.withOutcome(ReapOutcome.KEPT, why.get()));
          continue;
        }
        if (reserved.incrementAndGet() > policy.maxDeletions()) {
          cap.set(true);
          break;
        }
        if (policy.dryRun()) {
          done(entry.withOutcome(ReapOutcome.WOULD_DELETE, ""));
        } else {
          inFlight.add(workers.submit(() -> delete(entry)));
        }
      }
      for (Future<?> future : inFlight) {
        try {
          future.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("delete task failed unexpectedly", e.getCause());
        }
      }
      return allInPhase;
    }

    Optional<String> whyKeep(PodFacts facts, ReapedPod entry, Instant now) {
      if (policy.excludedNamespaces().contains(facts.namespace())) {
        return Optional.of("namespace " + facts.namespace() + " is excluded");
      }
      if (!policy.namespaces().isEmpty() && !policy.namespaces().contains(facts.namespace())) {
        return Optional.of("namespace " + facts.namespace() + " is not selected");
      }
      if (labels.isPresent() && !labels.get().matches(facts.labels())) {
        return Optional.of("labels do not match " + policy.labelSelector().get());
      }
      if (facts.terminating()) {
        return Optional.of("already being deleted");
      }
      Optional<String> owner = facts.ownerOfKind(policy.keepOwnerKinds());
      if (owner.isPresent()) {
        return Optional.of(
            "owned by " + owner.get() + " (kept owner kinds " + policy.keepOwnerKinds() + ")");
      }
      if (!policy.reasons().isEmpty()) {
        List<String> reasons = facts.reasons(policy.includeInitContainers());
        if (reasons.stream().noneMatch(policy.reasons()::contains)) {
          return Optional.of("reasons " + reasons + " not in " + new TreeSet<>(policy.reasons()));
        }
      }
      if (!policy.exitCodes().isEmpty()) {
        List<Integer> codes = facts.exitCodes(policy.includeInitContainers());
        if (codes.stream().noneMatch(policy.exitCodes()::contains)) {
          return Optional.of(
              "exit codes " + codes + " not in " + new TreeSet<>(policy.exitCodes()));
        }
      }
      if (!policy.minAge().isZero()) {
        if (entry.failedAt().isEmpty()) {
          return Optional.of("failure time unknown");
        }
        Duration age = Duration.between(entry.failedAt().get(), now);
        if (age.compareTo(policy.minAge()) < 0) {
          return Optional.of(
              "failed "
                  + age.toMinutes()
                  + "m ago, younger than "
                  + policy.minAge().toMinutes()
                  + "m");
        }
      }
      return Optional.empty();
    }

    void delete(ReapedPod entry) {
      if (stop.get() != null) {
        return;
      }
      String path = "/api/v1/namespaces/" + entry.namespace() + "/pods/" + entry.name();
      String request = "DELETE " + path;
      try {
        String lost =
            retrier.run(
                request,
                () -> {
                  try {
                    deletes.send(entry.namespace(), entry.name(), entry.uid());
                    return "";
                  } catch (IOException e) {
                    if (e instanceof Retrier.BudgetSpentException) {
                      throw e;
                    }
                    return afterLostAnswer(entry, path, retrier.describe(e), e);
                  }
                },
                (attempt, status) -> listener.retrying(request, attempt, status));
        if (lost.startsWith("changed:")) {
          done(entry.withOutcome(ReapOutcome.CHANGED, lost.substring("changed:".length())));
        } else {
          done(entry.withOutcome(ReapOutcome.DELETED, lost));
        }
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          done(entry.withOutcome(ReapOutcome.ALREADY_GONE, "404 " + statusMessage(e)));
        } else if (e.getCode() == 409) {
          done(entry.withOutcome(ReapOutcome.CHANGED, "409 " + statusMessage(e)));
        } else {
          done(entry.withOutcome(ReapOutcome.FAILED, e.getCode() + " " + statusMessage(e)));
        }
      } catch (Retrier.BudgetSpentException e) {
        stop.compareAndSet(null, e.getMessage());
        done(entry.withOutcome(ReapOutcome.FAILED, "not deleted: " + e.getMessage()));
      } catch (IOException e) {
        done(entry.withOutcome(ReapOutcome.FAILED, e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        done(entry.withOutcome(ReapOutcome.FAILED, "interrupted before the delete was answered"));
      }
    }

    /**
     * The delete got no answer: the server may or may not have carried it out. Reads the pod back:
     * gone or being deleted means our delete (or another) did it; still there with the same UID
     * means the delete did not happen, and {@code lost} is rethrown so the retrier sends it again
     * (the UID precondition makes that safe); another UID means it was replaced.
     */
    String afterLostAnswer(ReapedPod entry, String path, String what, IOException lost)
        throws IOException, InterruptedException, ApiException {
      String request = "GET " + path;
      V1Pod now;
      try {
        now =
            retrier.run(
                request,
                () ->
                    TolerantJson.execute(
                        retrier.newCall(
                            api.readNamespacedPod(entry.name(), entry.namespace()).buildCall(null)),
                        V1Pod.class),
                (attempt, status) -> listener.retrying(request, attempt, status));
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          return "the delete got no answer (" + what + "); a re-read found the pod gone";
        }
        throw new IOException(
            "the delete got no answer ("
                + what
                + ") and re-reading the pod answered HTTP "
                + e.getCode()
                + "; whether it was deleted is unknown",
            lost);
      } catch (Retrier.BudgetSpentException e) {
        throw e;
      } catch (IOException e) {
        throw new IOException(
            "the delete got no answer ("
                + what
                + ") and re-reading the pod failed too ("
                + retrier.describe(e)
                + "); whether it was deleted is unknown",
            lost);
      }
      String uid = now.getMetadata() == null ? null : now.getMetadata().getUid();
      if (!entry.uid().equals(uid)) {
        return "changed:the delete got no answer ("
            + what
            + "); a re-read found another pod (uid "
            + uid
            + ") under that name, left alone";
      }
      if (now.getMetadata().getDeletionTimestamp() != null) {
        return "the delete got no answer (" + what + "); a re-read found the pod being deleted";
      }
      throw lost;
    }

    void done(ReapedPod pod) {
      results.add(pod);
      listener.podDone(pod);
    }
  }

  private static String statusMessage(ApiException e) {
    String body = e.getResponseBody();
    if (body != null && !body.isBlank()) {
      try {
        JsonObject status = JsonParser.parseString(body).getAsJsonObject();
        if (status.has("message")) {
          return status.get("message").getAsString();
        }
      } catch (RuntimeException ignored) {
        return body;
      }
    }
    return e.getMessage() == null ? "" : e.getMessage();
  }

  private static String responseText(ApiException e) {
    String body = e.getResponseBody();
    if (body != null && !body.isBlank()) {
      return body;
    }
    return e.getMessage() == null ? "" : e.getMessage();
  }
}
