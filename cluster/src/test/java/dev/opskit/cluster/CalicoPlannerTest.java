package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.internal.calico.CalicoPlanner;
import dev.opskit.cluster.internal.calico.LocalJsonPatch;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CalicoPlannerTest {
  static String daemonSet(String env) {
    return "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":"
        + "\"calico-node\",\"namespace\":\"kube-system\",\"resourceVersion\":\"77\","
        + "\"someFutureField\":{}},\"spec\":{\"template\":{\"spec\":{\"initContainers\":[{\"name\":"
        + "\"install-cni\"}],\"containers\":[{\"name\":\"sidecar\"},{\"name\":\"calico-node\","
        + "\"image\":\"quay.io/calico/node:v3.28.0\""
        + (env == null ? "" : ",\"env\":" + env)
        + "}]}}}}";
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  @Test
  void replacesExistingVariableGuardedByTests() {
    String env =
        "[{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]";
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(
            json(daemonSet(env)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.parse("interface=^eth0$")),
            Optional.empty(),
            Optional.empty());

    assertThat(plan.namespace()).isEqualTo("kube-system");
    assertThat(plan.resourceVersion()).isEqualTo("77");
    assertThat(plan.changes())
        .singleElement()
        .hasToString("IP_AUTODETECTION_METHOD: first-found -> interface=^eth0$");
    JsonArray patch = JsonParser.parseString(plan.jsonPatch()).getAsJsonArray();
    assertThat(patch.toString())
        .isEqualTo(
            "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"77\"},"
                + "{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/1/name\","
                + "\"value\":\"calico-node\"},"
                + "{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/1/env/1/name\","
                + "\"value\":\"IP_AUTODETECTION_METHOD\"},"
                + "{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/1/env/1\","
                + "\"value\":{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"interface=^eth0$\"}}]");
    assertThat(plan.warnings()).isEmpty();
    assertThat(plan.render())
        .contains("~ IP_AUTODETECTION_METHOD: first-found -> interface=^eth0$");
  }

  @Test
  void everyEntryOfADuplicatedNameIsReplacedByOne() {
    // the later definition wins in the container: replacing only the first would change nothing
    String env =
        "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP6\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"first-found\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"can-reach=1.1.1.1\"},"
            + "{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]";
    Optional<CalicoAutodetectionMethod> v4 =
        Optional.of(CalicoAutodetectionMethod.parse("interface=^eth0$"));
    Optional<CalicoAutodetectionMethod> v6 = Optional.of(CalicoAutodetectionMethod.firstFound());
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(json(daemonSet(env)), "calico-node", v4, v6, Optional.empty());

    assertThat(plan.changes())
        .extracting(CalicoEnvChange::toString)
        .containsExactly(
            "IP_AUTODETECTION_METHOD: can-reach=1.1.1.1 -> interface=^eth0$",
            // same effective value, but two entries: still a change, to one entry
            "IP6_AUTODETECTION_METHOD: first-found -> first-found");
    assertThat(plan.warnings())
        .anySatisfy(w -> assertThat(w).contains("IP_AUTODETECTION_METHOD is defined 2 times"))
        .anySatisfy(w -> assertThat(w).contains("IP6_AUTODETECTION_METHOD is defined 2 times"));
    JsonObject target = json(daemonSet(env));
    LocalJsonPatch.apply(target, plan.jsonPatch());
    assertThat(target.toString())
        .contains(
            "\"env\":[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"interface=^eth0$\"},"
                + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
                + "{\"name\":\"IP6\",\"value\":\"autodetect\"},"
                + "{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]");
    assertThat(CalicoPlanner.plan(target, "calico-node", v4, v6, Optional.empty()).isEmpty())
        .isTrue();
  }

  @Test
  void anIpv6MethodWithoutIp6AutodetectIsIneffective() {
    // calico-node reads IP6_AUTODETECTION_METHOD only when IP6=autodetect
    Optional<CalicoAutodetectionMethod> v6 =
        Optional.of(CalicoAutodetectionMethod.canReach("2001:db8::1"));
    for (String env :
        new String[] {
          "[{\"name\":\"IP\",\"value\":\"autodetect\"}]",
          "[{\"name\":\"IP6\",\"value\":\"none\"}]",
          "[{\"name\":\"IP6\",\"value\":\"autodetect\"},{\"name\":\"IP6\",\"value\":\"\"}]"
        }) {
      CalicoAutodetectionPlan plan =
          CalicoPlanner.plan(
              json(daemonSet(env)), "calico-node", Optional.empty(), v6, Optional.empty());
      assertThat(plan.ineffective())
          .as(env)
          .singleElement()
          .asString()
          .contains("only when IP6=autodetect")
          .contains("FELIX_IPV6SUPPORT=true");
      assertThat(plan.render()).contains("refused unless forced");
    }
    CalicoAutodetectionPlan fine =
        CalicoPlanner.plan(
            json(daemonSet("[{\"name\":\"IP6\",\"value\":\"autodetect\"}]")),
            "calico-node",
            Optional.empty(),
            v6,
            Optional.empty());
    assertThat(fine.ineffective()).isEmpty();
    assertThat(fine.warnings()).isEmpty();
  }

  @Test
  void anOperatorOwnerReferenceMeansOperatorManaged() {
    JsonObject ds = json(daemonSet(null));
    ds.getAsJsonObject("metadata")
        .add(
            "ownerReferences",
            JsonParser.parseString(
                "[{\"apiVersion\":\"operator.tigera.io/v1\",\"kind\":\"Installation\","
                    + "\"name\":\"default\",\"uid\":\"u-1\",\"controller\":true}]"));
    assertThat(CalicoPlanner.operatorOwner(ds)).hasValue("default");
    assertThat(CalicoPlanner.operatorOwner(json(daemonSet(null)))).isEmpty();
  }

  @Test
  void addsMissingVariablesAndCreatesEnvWhenAbsent() {
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(
            json(daemonSet(null)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.parse("interface=eth0|en0|en2")),
            Optional.of(CalicoAutodetectionMethod.parse("can-reach=2001:db8::1")),
            Optional.empty());
    assertThat(plan.changes())
        .extracting(CalicoEnvChange::name)
        .containsExactly("IP_AUTODETECTION_METHOD", "IP6_AUTODETECTION_METHOD");
    assertThat(plan.changes().get(0).before()).isEmpty();
    assertThat(plan.jsonPatch())
        .contains("{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/1/env\",\"value\":[")
        .contains("{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/1/env/-\"");
    assertThat(plan.warnings())
        .anySatisfy(w -> assertThat(w).contains("not anchored"))
        .anySatisfy(w -> assertThat(w).contains("IP is unset"))
        .anySatisfy(w -> assertThat(w).contains("IP6 is unset"));
    assertThat(plan.ineffective()).singleElement().asString().contains("IP6 is unset");
    assertThat(plan.render()).contains("(unset) -> interface=eth0|en0|en2").contains("warning:");
  }

  @Test
  void sameValueIsAnEmptyPlanAndValueFromIsReplaced() {
    String env = "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"kubernetes-internal-ip\"}]";
    CalicoAutodetectionPlan same =
        CalicoPlanner.plan(
            json(daemonSet(env)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.kubernetesInternalIp()),
            Optional.empty(),
            Optional.empty());
    assertThat(same.isEmpty()).isTrue();
    assertThat(same.jsonPatch()).isEqualTo("[]");
    assertThat(same.render()).contains("no change");

    String fromRef =
        "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"valueFrom\":{\"configMapKeyRef\":"
            + "{\"name\":\"c\",\"key\":\"k\"}}}]";
    CalicoAutodetectionPlan replaced =
        CalicoPlanner.plan(
            json(daemonSet(fromRef)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.kubernetesInternalIp()),
            Optional.empty(),
            Optional.empty());
    assertThat(replaced.changes())
        .singleElement()
        .hasToString("IP_AUTODETECTION_METHOD: <valueFrom> -> kubernetes-internal-ip");
  }

  @Test
  void warnsWhenIpIsFixedSoAutodetectionIsOff() {
    String env = "[{\"name\":\"IP\",\"value\":\"198.18.0.5\"}]";
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(
            json(daemonSet(env)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.firstFound()),
            Optional.empty(),
            Optional.empty());
    assertThat(plan.warnings()).singleElement().asString().contains("IP=198.18.0.5 is set");
    assertThat(plan.ineffective()).singleElement().asString().contains("IP=198.18.0.5 is set");
  }

  @Test
  void operatorManagedPlanCarriesTheInstallationPatch() {
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(
            json(daemonSet(null)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.interfaces("^eth0$", "^en[0-9]+$")),
            Optional.of(CalicoAutodetectionMethod.cidrs("fd00:198:18::/64")),
            Optional.of("default"));
    assertThat(plan.operatorManaged()).isTrue();
    JsonObject patch =
        JsonParser.parseString(plan.installationPatch().orElseThrow()).getAsJsonObject();
    JsonObject v4 =
        patch
            .getAsJsonObject("spec")
            .getAsJsonObject("calicoNetwork")
            .getAsJsonObject("nodeAddressAutodetectionV4");
    assertThat(v4.get("interface").getAsString()).isEqualTo("^eth0$|^en[0-9]+$");
    assertThat(v4.get("firstFound").isJsonNull()).isTrue();
    JsonObject v6 =
        patch
            .getAsJsonObject("spec")
            .getAsJsonObject("calicoNetwork")
            .getAsJsonObject("nodeAddressAutodetectionV6");
    assertThat(v6.getAsJsonArray("cidrs").get(0).getAsString()).isEqualTo("fd00:198:18::/64");
    assertThat(plan.render())
        .contains("refused: the Tigera operator manages Calico")
        .contains("kubectl patch installation default --type merge -p '{\"spec\"");
  }

  @Test
  void planPatchAppliesLocallyAndRefusesAMovedVariable() {
    String env =
        "[{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]";
    CalicoAutodetectionPlan plan =
        CalicoPlanner.plan(
            json(daemonSet(env)),
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.cidrs("198.18.0.0/15")),
            Optional.of(CalicoAutodetectionMethod.firstFound()),
            Optional.empty());
    JsonObject target = json(daemonSet(env));
    LocalJsonPatch.apply(target, plan.jsonPatch());
    CalicoAutodetectionPlan after =
        CalicoPlanner.plan(
            target,
            "calico-node",
            Optional.of(CalicoAutodetectionMethod.cidrs("198.18.0.0/15")),
            Optional.of(CalicoAutodetectionMethod.firstFound()),
            Optional.empty());
    assertThat(after.isEmpty()).isTrue();
    assertThat(target.toString())
        .contains(
            "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"cidr=198.18.0.0/15\"},"
                + "{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]");

    String moved =
        "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"}]";
    assertThatThrownBy(() -> LocalJsonPatch.apply(json(daemonSet(moved)), plan.jsonPatch()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("test failed at /spec/template/spec/containers/1/env/1/name");
  }
}
