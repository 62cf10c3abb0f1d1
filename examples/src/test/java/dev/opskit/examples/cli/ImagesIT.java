package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.SeedCluster;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesIT {
  private static final List<String> ROW_KEYS =
      List.of(
          "namespace",
          "pod",
          "container",
          "containerType",
          "image",
          "imageId",
          "registry",
          "repository",
          "tag",
          "digest");

  @TempDir Path dir;

  private KubernetesApiFixture fixture;
  private String kubeconfig;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start().seedRealisticCluster();
    kubeconfig = PodsReapIT.kubeconfig(fixture, dir, "default").toString();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private CliRun images(String... args) {
    List<String> argv = new ArrayList<>(List.of("images", "--kubeconfig", kubeconfig));
    argv.addAll(List.of(args));
    return CliRun.of(argv.toArray(String[]::new));
  }

  private static int containerCount(List<V1Pod> pods, String namespace) {
    int count = 0;
    for (V1Pod pod : pods) {
      if (namespace == null || namespace.equals(pod.getMetadata().getNamespace())) {
        count += pod.getSpec().getContainers().size();
        count += Optional.ofNullable(pod.getSpec().getInitContainers()).map(List::size).orElse(0);
        count +=
            Optional.ofNullable(pod.getSpec().getEphemeralContainers()).map(List::size).orElse(0);
      }
    }
    return count;
  }

  private static JsonObject row(JsonArray rows, String pod, String container) {
    for (JsonElement element : rows) {
      JsonObject row = element.getAsJsonObject();
      if (row.get("pod").getAsString().equals(pod)
          && row.get("container").getAsString().equals(container)) {
        return row;
      }
    }
    throw new AssertionError("no row for " + pod + "/" + container + " in " + rows);
  }

  @Test
  void jsonHasOneRowPerContainerWithEveryField() {
    CliRun run = images("-A", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonArray rows = JsonParser.parseString(run.out).getAsJsonArray();
    assertThat(rows).hasSize(containerCount(SeedCluster.pods(), null));
    for (JsonElement row : rows) {
      assertThat(row.getAsJsonObject().keySet()).containsExactlyElementsOf(ROW_KEYS);
    }
    JsonObject web = row(rows, "web-7c9f8d6b5-2xkqp", "web");
    assertThat(web.get("namespace").getAsString()).isEqualTo("shop");
    assertThat(web.get("containerType").getAsString()).isEqualTo("regular");
    assertThat(web.get("image").getAsString()).isEqualTo("nginx:1.27");
    assertThat(web.get("imageId").getAsString())
        .isEqualTo("docker.io/library/nginx@" + SeedCluster.NGINX_DIGEST);
    assertThat(web.get("registry").getAsString()).isEqualTo("docker.io");
    assertThat(web.get("repository").getAsString()).isEqualTo("library/nginx");
    assertThat(web.get("tag").getAsString()).isEqualTo("1.27");
    assertThat(web.get("digest").getAsString()).isEqualTo(SeedCluster.NGINX_DIGEST);

    JsonObject init = row(rows, "web-7c9f8d6b5-2xkqp", "init-config");
    assertThat(init.get("containerType").getAsString()).isEqualTo("init");
    JsonObject debugger = row(rows, "debug-tools", "debugger-x7k2");
    assertThat(debugger.get("containerType").getAsString()).isEqualTo("ephemeral");
    assertThat(debugger.get("tag").getAsString()).isEqualTo("latest");

    JsonObject evicted = row(rows, "web-7c9f8d6b5-ev1ct", "web");
    assertThat(evicted.get("imageId").isJsonNull()).isTrue();
    assertThat(evicted.get("digest").isJsonNull()).isTrue();

    JsonObject api = row(rows, "api-5f7d8c6b9-q4wz8", "api");
    assertThat(api.get("registry").getAsString()).isEqualTo("ghcr.io");
    assertThat(api.get("tag").isJsonNull()).isTrue();
    assertThat(api.get("digest").getAsString()).isEqualTo(SeedCluster.API_DIGEST);
  }

  @Test
  void namespaceOptionLimitsTheRows() {
    CliRun run = images("-n", "kube-system", "-n", "batch", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonArray rows = JsonParser.parseString(run.out).getAsJsonArray();
    assertThat(rows)
        .hasSize(
            containerCount(SeedCluster.pods(), "kube-system")
                + containerCount(SeedCluster.pods(), "batch"));
    for (JsonElement row : rows) {
      assertThat(row.getAsJsonObject().get("namespace").getAsString()).isIn("kube-system", "batch");
    }
  }

  @Test
  void csvQuotesFieldsWithCommasAndQuotes() {
    V1Pod odd = TestPods.running("odd", "weird");
    odd.getSpec().getContainers().get(0).image("bad,image \"v1\"");
    fixture.createPod(odd);

    CliRun run = images("-n", "odd", "-o", "csv");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .startsWith(String.join(",", ROW_KEYS) + "\r\n")
        .contains("\r\nodd,weird,")
        .contains(",regular,\"bad,image \"\"v1\"\"\",")
        .endsWith("\r\n");
    // an invalid reference has no registry, repository or tag: empty fields
    String line = run.out.lines().skip(1).findFirst().orElseThrow();
    assertThat(line).endsWith(",,,,sha256:" + TestPods.IMAGE_ID.split("sha256:")[1]);
  }

  @Test
  void csvOfTheWholeClusterHasAHeaderAndOneLinePerContainer() {
    CliRun run = images("-A", "-o", "csv");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out.split("\r\n", -1))
        .hasSize(1 + containerCount(SeedCluster.pods(), null) + 1)
        .endsWith("");
  }

  @Test
  void uniqueCountsPodsPerImage() {
    CliRun run = images("-A", "--unique", "-o", "json");

    assertThat(run.exitCode).as(run.toString()).isZero();
    JsonArray images = JsonParser.parseString(run.out).getAsJsonArray();
    JsonObject nginx = null;
    for (JsonElement element : images) {
      if (element
          .getAsJsonObject()
          .get("image")
          .getAsString()
          .equals("docker.io/library/nginx:1.27")) {
        nginx = element.getAsJsonObject();
      }
    }
    assertThat(nginx).as(run.out).isNotNull();
    assertThat(nginx.get("pods").getAsLong()).isEqualTo(4);
    assertThat(nginx.get("runningDigests").getAsJsonArray().get(0).getAsString())
        .isEqualTo(SeedCluster.NGINX_DIGEST);
  }

  @Test
  void findingsNameTheFloatingImages() {
    CliRun run = images("-A", "--findings");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .containsPattern("LATEST_TAG\\s+docker.io/library/nginx:latest")
        .containsPattern("UNTAGGED\\s+docker.io/library/busybox:latest");
  }

  @Test
  void tableShowsContainersWithTheirType() {
    CliRun run = images("-n", "shop");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .containsPattern("NAMESPACE\\s+POD\\s+CONTAINER\\s+TYPE\\s+IMAGE\\s+DIGEST")
        .containsPattern("shop\\s+debug-tools\\s+debugger-x7k2\\s+ephemeral\\s+busybox")
        .doesNotContain("kube-system");
    assertThat(run.err).isEmpty();
  }

  @Test
  void badInputExitsTwo() {
    PodsReapIT.assertUsageError(images("-o", "yaml"), "yaml");
    PodsReapIT.assertUsageError(images("--unique", "--findings"), "--unique");
    PodsReapIT.assertUsageError(images("-A", "-n", "shop"), "-n shop");
    PodsReapIT.assertUsageError(images("-n", "UPPER"), "UPPER");
    assertThat(fixture.requests()).isEmpty();
  }
}
