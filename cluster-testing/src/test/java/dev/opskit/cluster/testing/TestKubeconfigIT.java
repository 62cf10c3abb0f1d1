package dev.opskit.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A written {@link TestKubeconfig} is read by the official client as pointing at the fixture. */
class TestKubeconfigIT {
  @TempDir Path dir;

  @Test
  void theOfficialClientReadsItAndReachesTheFixture() throws Exception {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      fixture.createPod(TestPods.running("ci", "build-1"));
      Path file = TestKubeconfig.of(fixture).namespace("ci").writeTo(dir.resolve("kubeconfig"));

      KubeConfig config = load(file);
      assertThat(config.getServer()).isEqualTo(fixture.url());
      assertThat(config.getNamespace()).isEqualTo("ci");
      assertThat(config.getCredentials()).containsEntry("token", "test-token");
      ApiClient client = ClientBuilder.kubeconfig(config).build();
      assertThat(
              new CoreV1Api(client).listNamespacedPod(config.getNamespace()).execute().getItems())
          .extracting(pod -> pod.getMetadata().getName())
          .containsExactly("build-1");
    }
  }

  @Test
  void aUserOfItsOwnReplacesTheTokenAndNoNamespaceIsNamedUnlessAsked() throws Exception {
    TestKubeconfig kubeconfig =
        TestKubeconfig.of("http://127.0.0.1:1").user("tokenFile: /nowhere/token");

    assertThat(kubeconfig.yaml())
        .isEqualTo(
            "apiVersion: v1\n"
                + "kind: Config\n"
                + "clusters:\n"
                + "- name: fixture\n"
                + "  cluster:\n"
                + "    server: http://127.0.0.1:1\n"
                + "contexts:\n"
                + "- name: fixture\n"
                + "  context:\n"
                + "    cluster: fixture\n"
                + "    user: tester\n"
                + "current-context: fixture\n"
                + "users:\n"
                + "- name: tester\n"
                + "  user:\n"
                + "    tokenFile: /nowhere/token\n");
    KubeConfig config = load(kubeconfig.writeTo(dir.resolve("kubeconfig")));
    assertThat(config.getNamespace()).isNull();
  }

  @Test
  void blankOrMultiLineValuesAreRefusedByName() {
    assertThatThrownBy(() -> TestKubeconfig.of(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server ' ' must be one line and not blank");
    assertThatThrownBy(() -> TestKubeconfig.of("http://a").namespace("ci\nusers: []"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("namespace 'ci");
    assertThatThrownBy(() -> TestKubeconfig.of("http://a").user(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("user YAML '' must not be blank");
  }

  private static KubeConfig load(Path file) throws Exception {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return KubeConfig.loadKubeConfig(reader);
    }
  }
}
