package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.SeedCluster;
import dev.opskit.cluster.testing.TestKubeconfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodsReapIT {
  @TempDir Path dir;

  private KubernetesApiFixture fixture;
  private String kubeconfig;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start().seedRealisticCluster();
    kubeconfig = kubeconfig(fixture, dir, "default").toString();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  /**
   * Writes a kubeconfig whose current context points at the fixture with {@code namespace}, as
   * {@code kubectl config} would.
   */
  static Path kubeconfig(KubernetesApiFixture fixture, Path dir, String namespace)
      throws IOException {
    return kubeconfig(fixture.url(), dir, namespace);
  }

  /** Writes a kubeconfig whose current context points at {@code server} with {@code namespace}. */
  static Path kubeconfig(String server, Path dir, String namespace) throws IOException {
    return TestKubeconfig.of(server).namespace(namespace).writeTo(dir.resolve("kubeconfig"));
  }

  private CliRun reap(String... args) {
    List<String> argv = new ArrayList<>(List.of("pods", "reap", "--kubeconfig", kubeconfig));
    argv.addAll(List.of(args));
    return CliRun.of(argv.toArray(String[]::new));
  }

  private static JsonObject json(CliRun run) {
    return JsonParser.parseString(run.out).getAsJsonObject();
  }

  private static List<String> keys(JsonArray rows) {
    List<String> keys = new ArrayList<>();
    for (JsonElement row : rows) {
      JsonObject object = row.getAsJsonObject();
      keys.add(object.get("namespace").getAsString() + "/" + object.get("name").getAsString());
    }
    return keys;
  }

  private boolean exists(String key) {
    String[] parts = key.split("/");
    return fixture.pod(parts[0], parts[1]).isPresent();
  }

  @Test
  void dryRunListsWhatWouldBeDeletedAndDeletesNothing() {
    CliRun run = reap("-A", "--dry-run", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonObject report = json(run);
    assertThat(report.keySet()).containsExactly("dryRun", "deleted", "kept", "failed", "complete");
    assertThat(report.get("complete").getAsBoolean()).isTrue();
    assertThat(report.get("dryRun").getAsBoolean()).isTrue();
    assertThat(keys(report.getAsJsonArray("deleted")))
        .containsExactlyInAnyOrderElementsOf(SeedCluster.FAILED_NOT_JOB);
    for (JsonElement row : report.getAsJsonArray("deleted")) {
      assertThat(row.getAsJsonObject().keySet())
          .containsExactly("namespace", "name", "reason", "node");
    }
    JsonObject kept = report.getAsJsonArray("kept").get(0).getAsJsonObject();
    assertThat(kept.keySet()).containsExactly("namespace", "name", "why");
    assertThat(kept.get("name").getAsString()).isEqualTo("report-28193340-b7c2d");
    assertThat(kept.get("why").getAsString()).contains("Job");
    assertThat(report.getAsJsonArray("failed")).isEmpty();
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
    assertThat(fixture.requests("DELETE", ".*")).isEmpty();
  }

  @Test
  void realRunDeletesTheFailedPodsAndKeepsTheRest() {
    CliRun run = reap("-A", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonObject report = json(run);
    assertThat(report.get("dryRun").getAsBoolean()).isFalse();
    assertThat(keys(report.getAsJsonArray("deleted")))
        .containsExactlyInAnyOrderElementsOf(SeedCluster.FAILED_NOT_JOB);
    for (String key : SeedCluster.FAILED_NOT_JOB) {
      assertThat(exists(key)).as(key).isFalse();
    }
    assertThat(exists("batch/report-28193340-b7c2d")).isTrue();
    assertThat(exists("shop/web-7c9f8d6b5-2xkqp")).isTrue();
    assertThat(fixture.podCount())
        .isEqualTo(SeedCluster.POD_COUNT - SeedCluster.FAILED_NOT_JOB.size());
  }

  @Test
  void reasonAndMinAgeSelectOnlyOldEvictions() {
    CliRun run = reap("-n", "shop", "--reason", "Evicted", "--min-age", "1h", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonObject report = json(run);
    JsonArray deleted = report.getAsJsonArray("deleted");
    assertThat(keys(deleted)).containsExactly("shop/web-7c9f8d6b5-ev1ct");
    JsonObject row = deleted.get(0).getAsJsonObject();
    assertThat(row.get("reason").getAsString()).isEqualTo("Evicted");
    assertThat(row.get("node").getAsString()).isEqualTo("node-b");
    assertThat(keys(report.getAsJsonArray("kept")))
        .containsExactlyInAnyOrder("shop/web-7c9f8d6b5-ev2ct", "shop/cart-6d5b9c7f4-oomkd");
    assertThat(exists("shop/web-7c9f8d6b5-ev1ct")).isFalse();
    assertThat(exists("shop/web-7c9f8d6b5-ev2ct")).isTrue();
  }

  @Test
  void withoutNamespaceOptionsTheContextNamespaceIsUsed() throws IOException {
    kubeconfig = kubeconfig(fixture, dir, "shop").toString();

    CliRun run = reap("--dry-run", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(keys(json(run).getAsJsonArray("deleted")))
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-ev1ct", "shop/web-7c9f8d6b5-ev2ct", "shop/cart-6d5b9c7f4-oomkd");
    assertThat(fixture.requests("GET", "/api/v1/pods.*")).isEmpty();
  }

  @Test
  void keepOwnerKindNoneReapsJobPodsAndMaxCapsTheRun() {
    CliRun all = reap("-n", "batch", "--keep-owner-kind", "none", "--dry-run", "-o", "json");
    assertThat(keys(json(all).getAsJsonArray("deleted")))
        .containsExactly("batch/report-28193340-b7c2d");

    CliRun capped = reap("-A", "--max", "2", "-o", "json");
    assertThat(capped.exitCode).as(capped.toString()).isZero();
    assertThat(json(capped).getAsJsonArray("deleted")).hasSize(2);
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT - 2);
  }

  @Test
  void tableOutputShowsTheRowsAndTheSummary() {
    CliRun run = reap("-A", "--dry-run");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("would delete:")
        .containsPattern("NAMESPACE\\s+NAME\\s+REASON\\s+NODE")
        .containsPattern("shop\\s+web-7c9f8d6b5-ev1ct\\s+Evicted\\s+node-b")
        .contains("kept:")
        .contains("dry run: " + SeedCluster.FAILED_NOT_JOB.size() + " pods would be deleted");
    assertThat(run.err).isEmpty();
  }

  @Test
  void refusedDeletesAreReportedAsFailedWithExitOne() {
    fixture.inject(
        RequestFault.on("DELETE", "/api/v1/namespaces/default/pods/orphan-migrate")
            .status(403)
            .always());

    CliRun run = reap("-n", "default", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    JsonObject report = json(run);
    JsonArray failed = report.getAsJsonArray("failed");
    assertThat(keys(failed)).containsExactly("default/orphan-migrate");
    assertThat(failed.get(0).getAsJsonObject().get("error").getAsString()).contains("403");
    assertThat(keys(report.getAsJsonArray("deleted"))).containsExactly("default/shutdown-victim");
    assertThat(exists("default/orphan-migrate")).isTrue();
  }

  @Test
  void listRefusedByTheServerExitsOne() {
    fixture.inject(RequestFault.on("GET", "/api/v1/namespaces/default/pods").status(403).always());

    CliRun run = reap("-n", "default");

    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertThat(run.err).contains("403").doesNotContain("\tat ");
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
  }

  @Test
  void badInputExitsTwoNamingTheValueWithoutTouchingTheCluster() {
    assertUsageError(reap("--min-age", "banana"), "banana");
    assertUsageError(reap("-A", "-n", "shop"), "-n shop");
    assertUsageError(reap("--max", "0"), "--max must be at least 1, was 0");
    assertUsageError(reap("-o", "yaml"), "yaml");
    assertUsageError(reap("-n", "Not_A_Namespace"), "Not_A_Namespace");
    assertUsageError(reap("--keep-owner-kind", "job/x"), "job/x");
    assertThat(fixture.requests()).isEmpty();

    Path missing = dir.resolve("no-such-kubeconfig");
    CliRun run = CliRun.of("pods", "reap", "--kubeconfig", missing.toString());
    assertUsageError(run, missing.toString());
  }

  @Test
  void kubeconfigWithoutServerIsAUsageError() throws IOException {
    Path broken = dir.resolve("broken");
    Files.writeString(broken, "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n");

    CliRun run = CliRun.of("pods", "reap", "--kubeconfig", broken.toString());

    assertUsageError(run, broken.toString());

    Path notYamlMapping = dir.resolve("plain-text");
    Files.writeString(notYamlMapping, "just some words\n");
    assertUsageError(
        CliRun.of("pods", "reap", "--kubeconfig", notYamlMapping.toString()),
        notYamlMapping + " is not a kubeconfig");
  }

  @Test
  void helpDescribesTheOptionsAndExitsZero() {
    CliRun run = CliRun.of("pods", "reap", "--help");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).contains("--min-age").contains("--keep-owner-kind").contains("--dry-run");
  }

  static void assertUsageError(CliRun run, String named) {
    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertThat(run.err).as(run.toString()).contains(named).doesNotContain("\tat ");
    assertThat(run.err.strip().lines()).as(run.toString()).hasSize(1);
    assertThat(run.out).isEmpty();
  }
}
