package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.core.OpskitException;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CalicoAutodetectionIT {
  private static final String KUBE_SYSTEM_DS = "/apis/apps/v1/namespaces/kube-system/daemonsets";

  private KubernetesApiFixture fixture;

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private void createDaemonSet(String collection, String namespace) {
    createDaemonSet(
        collection,
        namespace,
        "[{\"name\":\"DATASTORE_TYPE\",\"value\":\"kubernetes\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP6\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]");
  }

  private void createDaemonSet(String collection, String namespace, String env) {
    fixture.createJson(
        collection,
        CalicoPlannerTest.daemonSet(env)
            .replace("\"kube-system\"", "\"" + namespace + "\"")
            .replace("\"resourceVersion\":\"77\",", ""));
  }

  private JsonArray env(String namespace) {
    JsonObject ds =
        JsonParser.parseString(
                fixture
                    .json("/apis/apps/v1/namespaces/" + namespace + "/daemonsets/calico-node")
                    .orElseThrow())
            .getAsJsonObject();
    return ds.getAsJsonObject("spec")
        .getAsJsonObject("template")
        .getAsJsonObject("spec")
        .getAsJsonArray("containers")
        .get(1)
        .getAsJsonObject()
        .getAsJsonArray("env");
  }

  private CalicoAutodetection.Builder calico() {
    return CalicoAutodetection.builder(fixture.apiClient());
  }

  @Test
  void patchesTheDaemonSetAndVerifiesThenIsIdempotent() throws IOException {
    createDaemonSet(KUBE_SYSTEM_DS, "kube-system");
    CalicoAutodetection calico =
        calico()
            .ipv4(CalicoAutodetectionMethod.interfaces("^eth0$", "^en[0-9]+$"))
            .ipv6(CalicoAutodetectionMethod.canReach("2001:db8::1"))
            .build();

    CalicoAutodetectionPlan plan = calico.plan();
    assertThat(plan.namespace()).isEqualTo("kube-system");
    assertThat(plan.changes())
        .extracting(CalicoEnvChange::toString)
        .containsExactly(
            "IP_AUTODETECTION_METHOD: first-found -> interface=^eth0$,^en[0-9]+$",
            "IP6_AUTODETECTION_METHOD: (unset) -> can-reach=2001:db8::1");
    CalicoAutodetectionResult result = calico.apply(plan);

    assertThat(result.changed()).isTrue();
    assertThat(result.verified()).isTrue();
    assertThat(result.resourceVersion()).isNotEqualTo(plan.resourceVersion());
    assertThat(env("kube-system").toString())
        .isEqualTo(
            "[{\"name\":\"DATASTORE_TYPE\",\"value\":\"kubernetes\"},"
                + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
                + "{\"name\":\"IP6\",\"value\":\"autodetect\"},"
                + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"interface=^eth0$,^en[0-9]+$\"},"
                + "{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"can-reach=2001:db8::1\"}]");
    // a field this client does not know survives the patch
    assertThat(fixture.json(KUBE_SYSTEM_DS + "/calico-node").orElseThrow())
        .contains("someFutureField");
    assertThat(fixture.requests("PUT", KUBE_SYSTEM_DS + "/calico-node"))
        .singleElement()
        .satisfies(c -> assertThat(c.body()).contains("interface=^eth0$"));

    CalicoAutodetectionResult again = calico.apply();
    assertThat(again.changed()).isFalse();
    assertThat(again.plan().isEmpty()).isTrue();
    assertThat(fixture.requests("PUT", KUBE_SYSTEM_DS + "/calico-node")).hasSize(1);
  }

  @Test
  void stalePlanIsRefusedByTheServerAndChangesNothing() throws IOException {
    createDaemonSet(KUBE_SYSTEM_DS, "kube-system");
    CalicoAutodetectionPlan stale =
        calico().ipv4(CalicoAutodetectionMethod.kubernetesInternalIp()).build().plan();
    calico().ipv4(CalicoAutodetectionMethod.cidrs("198.18.0.0/15")).build().apply();

    assertThatThrownBy(
            () ->
                calico()
                    .ipv4(CalicoAutodetectionMethod.kubernetesInternalIp())
                    .build()
                    .apply(stale))
        .isInstanceOf(ClusterRequestException.class)
        .satisfies(e -> assertThat(((ClusterRequestException) e).statusCode()).isEqualTo(409));
    assertThat(env("kube-system").toString())
        .contains("cidr=198.18.0.0/15")
        .doesNotContain("kubernetes-internal-ip");
  }

  @Test
  void findsTheDaemonSetInCalicoSystem() throws IOException {
    createDaemonSet("/apis/apps/v1/namespaces/calico-system/daemonsets", "calico-system");
    CalicoAutodetectionResult result =
        calico().ipv4(CalicoAutodetectionMethod.kubernetesInternalIp()).build().apply();
    assertThat(result.plan().namespace()).isEqualTo("calico-system");
    assertThat(env("calico-system").toString()).contains("kubernetes-internal-ip");
  }

  @Test
  void refusesWhenTheTigeraOperatorManagesCalico() throws IOException {
    fixture.registerCustomResource(
        "operator.tigera.io", "v1", "Installation", "installations", false);
    fixture.createJson(
        "/apis/operator.tigera.io/v1/installations",
        "{\"apiVersion\":\"operator.tigera.io/v1\",\"kind\":\"Installation\","
            + "\"metadata\":{\"name\":\"default\"},\"spec\":{\"calicoNetwork\":"
            + "{\"nodeAddressAutodetectionV4\":{\"firstFound\":true}}}}");
    createDaemonSet("/apis/apps/v1/namespaces/calico-system/daemonsets", "calico-system");
    CalicoAutodetection calico =
        calico().ipv4(CalicoAutodetectionMethod.interfaces("^ens[0-9]+$")).build();

    CalicoAutodetectionPlan plan = calico.plan();
    assertThat(plan.operatorManaged()).isTrue();
    assertThat(plan.operatorInstallation()).hasValue("default");
    assertThat(plan.installationPatch().orElseThrow())
        .contains("\"nodeAddressAutodetectionV4\":{\"firstFound\":null")
        .contains("\"interface\":\"^ens[0-9]+$\"");
    assertThatThrownBy(() -> calico.apply(plan))
        .isInstanceOf(CalicoOperatorManagedException.class)
        .hasMessageContaining("kubectl patch installation default --type merge")
        .satisfies(
            e ->
                assertThat(((CalicoOperatorManagedException) e).installationPatch())
                    .isEqualTo(plan.installationPatch().orElseThrow()));
    assertThat(fixture.requests("*", ".*")).noneMatch(c -> !c.method().equals("GET"));
    assertThat(env("calico-system").toString()).contains("first-found");
  }

  @Test
  void aDuplicatedVariableEndsAsOneEntryAndVerifiesTheValueTheContainerSees() throws IOException {
    // calico.yaml with a second IP_AUTODETECTION_METHOD further down: the last one wins
    createDaemonSet(
        KUBE_SYSTEM_DS,
        "kube-system",
        "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"can-reach=1.1.1.1\"}]");

    CalicoAutodetectionResult result =
        calico().ipv4(CalicoAutodetectionMethod.interfaces("^eth0$")).build().apply();

    assertThat(result.plan().changes())
        .singleElement()
        .hasToString("IP_AUTODETECTION_METHOD: can-reach=1.1.1.1 -> interface=^eth0$");
    assertThat(result.verified()).isTrue();
    assertThat(env("kube-system").toString())
        .isEqualTo(
            "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"interface=^eth0$\"},"
                + "{\"name\":\"IP\",\"value\":\"autodetect\"}]");
  }

  @Test
  void anIpv6MethodCalicoWouldNotReadIsRefusedUnlessForced() throws IOException {
    createDaemonSet(
        KUBE_SYSTEM_DS,
        "kube-system",
        "[{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]");
    CalicoAutodetection.Builder ipv6 =
        calico().ipv6(CalicoAutodetectionMethod.canReach("2001:db8::1"));

    assertThatThrownBy(() -> ipv6.build().apply())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("IP6 is unset")
        .hasMessageContaining("set IP6=autodetect");
    assertThat(fixture.requests("PUT", ".*")).isEmpty();

    CalicoAutodetectionResult forced = ipv6.force(true).build().apply();
    assertThat(forced.changed()).isTrue();
    assertThat(env("kube-system").toString()).contains("can-reach=2001:db8::1");
  }

  @Test
  void anOperatorOwnerReferenceIsRefusedEvenWithoutTheInstallation() throws IOException {
    // the operator sets this ownerReference; its Installation may already be gone
    JsonObject ds =
        JsonParser.parseString(
                CalicoPlannerTest.daemonSet(
                        "[{\"name\":\"IP\",\"value\":\"autodetect\"},"
                            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]")
                    .replace("\"kube-system\"", "\"calico-system\"")
                    .replace("\"resourceVersion\":\"77\",", ""))
            .getAsJsonObject();
    ds.getAsJsonObject("metadata")
        .add(
            "ownerReferences",
            JsonParser.parseString(
                "[{\"apiVersion\":\"operator.tigera.io/v1\",\"kind\":\"Installation\","
                    + "\"name\":\"default\",\"uid\":\"0b8e-gone\",\"controller\":true,"
                    + "\"blockOwnerDeletion\":true}]"));
    fixture.createJson("/apis/apps/v1/namespaces/calico-system/daemonsets", ds.toString());
    CalicoAutodetection calico =
        calico().ipv4(CalicoAutodetectionMethod.interfaces("^ens[0-9]+$")).build();

    CalicoAutodetectionPlan plan = calico.plan();
    assertThat(plan.operatorManaged()).isTrue();
    assertThatThrownBy(() -> calico.apply(plan))
        .isInstanceOf(CalicoOperatorManagedException.class)
        .hasMessageContaining("kubectl patch installation default");
    assertThat(fixture.requests("*", ".*")).allMatch(c -> c.method().equals("GET"));
    assertThat(env("calico-system").toString()).contains("first-found");
  }

  @Test
  void noDaemonSetAndNoOperatorIsAnError() {
    assertThatThrownBy(() -> calico().ipv4(CalicoAutodetectionMethod.firstFound()).build().plan())
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("no DaemonSet 'calico-node'");
  }
}
