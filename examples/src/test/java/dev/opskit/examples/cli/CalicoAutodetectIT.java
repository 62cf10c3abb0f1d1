package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalicoAutodetectIT {
  private static final String KUBE_SYSTEM = "/apis/apps/v1/namespaces/kube-system/daemonsets";
  private static final String CALICO_SYSTEM = "/apis/apps/v1/namespaces/calico-system/daemonsets";

  @TempDir Path dir;

  private KubernetesApiFixture fixture;
  private String kubeconfig;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start();
    kubeconfig = PodsReapIT.kubeconfig(fixture, dir, "default").toString();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private void createDaemonSet(String collection, String namespace) {
    fixture.createJson(
        collection,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":"
            + "\"calico-node\",\"namespace\":\""
            + namespace
            + "\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"calico-node\","
            + "\"image\":\"quay.io/calico/node:v3.28.0\",\"env\":["
            + "{\"name\":\"DATASTORE_TYPE\",\"value\":\"kubernetes\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP6\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]}]}}}}");
  }

  private void createDaemonSet(String env) {
    fixture.createJson(
        KUBE_SYSTEM,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":"
            + "\"calico-node\",\"namespace\":\"kube-system\"},\"spec\":{\"template\":{\"spec\":"
            + "{\"containers\":[{\"name\":\"calico-node\",\"env\":"
            + env
            + "}]}}}}");
  }

  private String env(String collection) {
    JsonObject ds =
        JsonParser.parseString(fixture.json(collection + "/calico-node").orElseThrow())
            .getAsJsonObject();
    return ds.getAsJsonObject("spec")
        .getAsJsonObject("template")
        .getAsJsonObject("spec")
        .getAsJsonArray("containers")
        .get(0)
        .getAsJsonObject()
        .getAsJsonArray("env")
        .toString();
  }

  private CliRun autodetect(String... args) {
    List<String> argv =
        new ArrayList<>(List.of("calico", "autodetect", "--kubeconfig", kubeconfig));
    argv.addAll(List.of(args));
    return CliRun.of(argv.toArray(String[]::new));
  }

  @Test
  void dryRunPrintsThePlanAndChangesNothing() {
    createDaemonSet(KUBE_SYSTEM, "kube-system");

    CliRun run = autodetect("--method", "interface=^eth0$", "--dry-run");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("daemonset kube-system/calico-node")
        .contains("IP_AUTODETECTION_METHOD: first-found -> interface=^eth0$")
        .contains("dry run: nothing changed");
    assertThat(env(KUBE_SYSTEM)).contains("first-found").doesNotContain("interface=");
    assertThat(fixture.requests("*", ".*")).allMatch(c -> c.method().equals("GET"));
  }

  @Test
  void appliesVerifiesAndIsIdempotent() {
    createDaemonSet(KUBE_SYSTEM, "kube-system");

    CliRun run =
        autodetect("--method", "cidr=198.18.0.0/15", "--method-ipv6", "can-reach=2001:db8::1");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("IP6_AUTODETECTION_METHOD: (unset) -> can-reach=2001:db8::1")
        .contains("applied and verified");
    assertThat(env(KUBE_SYSTEM))
        .contains("{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"cidr=198.18.0.0/15\"}")
        .contains("{\"name\":\"IP6_AUTODETECTION_METHOD\",\"value\":\"can-reach=2001:db8::1\"}");

    CliRun again =
        autodetect("--method", "cidr=198.18.0.0/15", "--method-ipv6", "can-reach=2001:db8::1");
    assertThat(again.exitCode).as(again.toString()).isZero();
    assertThat(again.out).contains("no change").contains("already up to date");
    assertThat(fixture.requests("PUT", ".*")).hasSize(1);
  }

  @Test
  void unanchoredInterfaceRegexIsAppliedWithAWarning() {
    createDaemonSet(CALICO_SYSTEM, "calico-system");

    CliRun run = autodetect("--method", "interface=eth0");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).contains("warning:").contains("eth0");
    assertThat(env(CALICO_SYSTEM)).contains("interface=eth0");
  }

  @Test
  void operatorManagedCalicoIsRefusedWithTheInstallationPatch() {
    fixture.registerCustomResource(
        "operator.tigera.io", "v1", "Installation", "installations", false);
    fixture.createJson(
        "/apis/operator.tigera.io/v1/installations",
        "{\"apiVersion\":\"operator.tigera.io/v1\",\"kind\":\"Installation\","
            + "\"metadata\":{\"name\":\"default\"},\"spec\":{}}");
    createDaemonSet(CALICO_SYSTEM, "calico-system");

    CliRun run = autodetect("--method", "interface=^ens[0-9]+$");

    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertThat(run.err).contains("kubectl patch installation default --type merge");
    assertThat(env(CALICO_SYSTEM)).contains("first-found");
    assertThat(fixture.requests("*", ".*")).allMatch(c -> c.method().equals("GET"));
  }

  @Test
  void missingDaemonSetFailsWithExitOne() {
    CliRun run = autodetect("--method", "first-found");

    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertThat(run.err).contains("no DaemonSet 'calico-node'").doesNotContain("\tat ");
  }

  @Test
  void invalidMethodsExitTwoNamingTheValue() {
    createDaemonSet(KUBE_SYSTEM, "kube-system");

    PodsReapIT.assertUsageError(autodetect("--method", "interface=("), "interface=(");
    PodsReapIT.assertUsageError(autodetect("--method", "first-fund"), "first-fund");
    PodsReapIT.assertUsageError(autodetect("--method", "cidr=198.18.0.0"), "cidr=198.18.0.0");
    PodsReapIT.assertUsageError(
        autodetect("--method-ipv6", "cidr=198.18.0.0/15"), "cidr=198.18.0.0/15");
    PodsReapIT.assertUsageError(autodetect(), "--method");
    assertThat(fixture.requests()).isEmpty();
    assertThat(env(KUBE_SYSTEM)).contains("first-found");
  }

  @Test
  void methodsCalicoCannotUseExitTwoBeforeAnyRequest() {
    createDaemonSet(KUBE_SYSTEM, "kube-system");

    // RE2 (Go's regexp, which calico-node uses) has no lookaround or possessive quantifiers
    PodsReapIT.assertUsageError(
        autodetect("--method", "interface=^(?!docker|cali).*$"), "uses a lookahead '(?!…)'");
    PodsReapIT.assertUsageError(
        autodetect("--method", "skip-interface=^veth.*+$"), "possessive quantifier '*+'");
    PodsReapIT.assertUsageError(
        autodetect("--method", "interface=eth0\nX"), "control character U+000A");
    PodsReapIT.assertUsageError(
        autodetect("--method", "interface=^(" + "e".repeat(100_000) + ")$"),
        "over the limit of 1024");
    PodsReapIT.assertUsageError(
        autodetect("--method-ipv6", "interface=(?<=x)y"), "uses a lookbehind");
    assertThat(fixture.requests()).isEmpty();
    assertThat(env(KUBE_SYSTEM)).contains("first-found");
  }

  @Test
  void anIpv6MethodWithoutIp6AutodetectIsRefusedUnlessForced() {
    createDaemonSet(
        "[{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]");

    CliRun refused = autodetect("--method-ipv6", "can-reach=2001:db8::1");

    assertThat(refused.exitCode).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out).contains("refused unless forced");
    assertThat(refused.err)
        .contains("IP6 is unset")
        .contains("set IP6=autodetect")
        .doesNotContain("Exception");
    assertThat(fixture.requests("PUT", ".*")).isEmpty();

    CliRun forced = autodetect("--method-ipv6", "can-reach=2001:db8::1", "--force");
    assertThat(forced.exitCode).as(forced.toString()).isZero();
    assertThat(env(KUBE_SYSTEM)).contains("can-reach=2001:db8::1");
  }

  @Test
  void aDuplicatedVariableIsReplacedEverywhere() {
    createDaemonSet(
        "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"},"
            + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
            + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"can-reach=1.1.1.1\"}]");

    CliRun run = autodetect("--method", "interface=^eth0$");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("IP_AUTODETECTION_METHOD: can-reach=1.1.1.1 -> interface=^eth0$")
        .contains("defined 2 times")
        .contains("applied and verified");
    assertThat(env(KUBE_SYSTEM))
        .isEqualTo(
            "[{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"interface=^eth0$\"},"
                + "{\"name\":\"IP\",\"value\":\"autodetect\"}]");
  }
}
