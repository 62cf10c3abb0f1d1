package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.SeedCluster;
import dev.opskit.cluster.testing.TestKubeconfig;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code pods reap} and {@code images} against an API that fails the way real ones do. */
@Timeout(120)
class ClusterFaultsIT {
  @TempDir Path dir;

  private KubernetesApiFixture fixture;
  private String kubeconfig;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start().seedRealisticCluster();
    kubeconfig = PodsReapIT.kubeconfig(fixture.faultyUrl(), dir, "default").toString();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private void seed(int count, boolean failed) {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = String.format("pod-%04d", i);
      pods.add(
          failed
              ? TestPods.failed("load", name, "Error", 1, Duration.ofHours(2))
              : TestPods.running("load", name));
    }
    fixture.createPods(pods);
  }

  private CliRun run(String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.add(1 + (args[0].equals("pods") ? 1 : 0), "--kubeconfig");
    argv.add(2 + (args[0].equals("pods") ? 1 : 0), kubeconfig);
    return CliRun.of(argv.toArray(String[]::new));
  }

  private static void assertOneLineFailure(CliRun run, String... named) {
    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertThat(run.err.strip().lines()).as(run.toString()).hasSize(1);
    assertThat(run.err).as(run.toString()).contains(named).doesNotContain("\tat ");
    assertThat(run.err).doesNotContain("Exception").doesNotContain("gson");
  }

  @Test
  void anExpiredContinueTokenDuringADryRunStillNamesEveryPod() {
    seed(718, true);
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410).times(1));

    CliRun run = run("pods", "reap", "-A", "--dry-run", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonObject report = JsonParser.parseString(run.out).getAsJsonObject();
    assertThat(report.getAsJsonArray("deleted")).hasSize(718 + SeedCluster.FAILED_NOT_JOB.size());
    assertThat(report.get("complete").getAsBoolean()).isTrue();
    assertThat(run.err).isEmpty();
  }

  @Test
  void aListFailureAfterDeletionsPrintsTheReportMarkedIncompleteAndExitsOne() {
    seed(700, true);
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(403).always());

    CliRun table = run("pods", "reap", "-A", "--dry-run");
    assertOneLineFailure(table, "stopped before the end");
    assertThat(table.out).contains("INCOMPLETE: ").contains("pods would be deleted");

    CliRun run = run("pods", "reap", "-A", "-o", "json");

    assertOneLineFailure(run, "stopped before the end", "403");
    JsonObject report = JsonParser.parseString(run.out).getAsJsonObject();
    assertThat(report.get("complete").getAsBoolean()).isFalse();
    assertThat(report.get("incompleteReason").getAsString()).contains("403");
    int deleted = report.getAsJsonArray("deleted").size();
    assertThat(deleted).isPositive();
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT + 700 - deleted);
  }

  @Test
  void anImagesListingThatFailsMidwayStillPrintsOneValidJsonDocument() {
    seed(700, false);
    int all = JsonParser.parseString(run("images", "-A", "-o", "json").out).getAsJsonArray().size();
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(403).always());

    CliRun rows = run("images", "-A", "-o", "json");

    assertOneLineFailure(rows, "listing pods failed after", "403");
    Matcher listed = Pattern.compile("failed after (\\d+) containers").matcher(rows.err);
    assertThat(listed.find()).as(rows.err).isTrue();
    int containers = Integer.parseInt(listed.group(1));
    // the first page (500 pods) streamed out before the second request failed
    assertThat(containers).isGreaterThanOrEqualTo(500).isLessThan(all);
    JsonArray array = JsonParser.parseString(rows.out).getAsJsonArray();
    assertThat(array).hasSize(containers);
    assertThat(array.get(containers - 1).getAsJsonObject().get("image")).isNotNull();
    assertThat(rows.out).endsWith("]\n");

    for (String view : List.of("--unique", "--findings")) {
      CliRun run = run("images", "-A", view, "-o", "json");
      assertOneLineFailure(run, "listing pods failed after", "403");
      assertThat(JsonParser.parseString(run.out).isJsonArray()).as(run.toString()).isTrue();
    }
  }

  @Test
  void aStalledServerEndsAfterTheRequestTimeout() {
    fixture.inject(RequestFault.on("GET", "/api/v1/.*pods").hang().always());

    CliRun reap = run("pods", "reap", "-A", "--request-timeout", "300ms", "--dry-run");
    assertOneLineFailure(reap, "no complete answer within the request timeout of 300ms");
    assertThat(reap.out).contains("INCOMPLETE: ");

    CliRun images = run("images", "-A", "--request-timeout", "1", "-o", "csv");
    assertOneLineFailure(images, "no complete answer within the request timeout of 1s");
  }

  @Test
  void resetsAndTruncatedAnswersAreRetriedSilently() {
    seed(600, false);
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").reset().times(1));
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").truncatedBody());
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410));

    CliRun run = run("images", "-A", "-o", "csv");

    assertThat(run.exitCode).as(run.toString()).isZero();
    List<String> rows = run.out.strip().lines().skip(1).toList();
    assertThat(rows).doesNotHaveDuplicates();
    assertThat(rows.stream().filter(r -> r.startsWith("load,"))).hasSize(600);
    assertThat(run.err).isEmpty();
  }

  @Test
  void persistentThrottlingFailsTheInventoryWithOneLine() {
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").status(429).retryAfterSeconds(0).always());

    CliRun run = run("images", "-A", "-o", "csv");

    assertOneLineFailure(run, "GET /api/v1/pods answered HTTP 429");
  }

  @Test
  void aBadRequestTimeoutIsAUsageError() {
    PodsReapIT.assertUsageError(run("pods", "reap", "--request-timeout", "soon"), "soon");
    PodsReapIT.assertUsageError(run("images", "--request-timeout", "-1s"), "-1s");
    assertThat(fixture.requests()).isEmpty();
  }

  @Test
  void aMissingExecPluginOrTokenFileIsNamedAndNothingIsSent() throws IOException {
    Path execConfig =
        TestKubeconfig.of(fixture)
            .user(
                "exec:\n"
                    + "  apiVersion: client.authentication.k8s.io/v1\n"
                    + "  command: opskit-test-no-such-credential-plugin\n")
            .writeTo(dir.resolve("exec-kubeconfig"));
    CliRun exec = CliRun.of("pods", "reap", "--kubeconfig", execConfig.toString(), "-A");
    PodsReapIT.assertUsageError(exec, "opskit-test-no-such-credential-plugin");

    Path tokenConfig =
        TestKubeconfig.of(fixture)
            .user("tokenFile: missing-token\n")
            .writeTo(dir.resolve("token-kubeconfig"));
    CliRun token = CliRun.of("images", "--kubeconfig", tokenConfig.toString(), "-A");
    PodsReapIT.assertUsageError(token, dir.resolve("missing-token").toString());

    assertThat(fixture.requests()).isEmpty();
  }
}
