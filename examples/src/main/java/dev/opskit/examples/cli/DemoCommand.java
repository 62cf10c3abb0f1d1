package dev.opskit.examples.cli;

import dev.opskit.cluster.CalicoAutodetection;
import dev.opskit.cluster.CalicoAutodetectionMethod;
import dev.opskit.cluster.ImageInventory;
import dev.opskit.cluster.ImagePolicy;
import dev.opskit.cluster.ImageReportFormat;
import dev.opskit.cluster.ImageViews;
import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapPolicy;
import dev.opskit.cluster.ReapReport;
import dev.opskit.cluster.ReapedPod;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlProfile;
import io.kubernetes.client.openapi.ApiClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code opskit demo}: every module end to end on embedded defaults, with no cluster, no root and
 * no network. The cluster parts run against the embedded Kubernetes API fixture seeded with a small
 * realistic cluster; host parts only read.
 */
@picocli.CommandLine.Command(
    mixinStandardHelpOptions = true,
    name = "demo",
    description = "Show what opskit does, end to end, with no cluster, no root and no network.")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    core(out);
    try (KubernetesApiFixture cluster = KubernetesApiFixture.start()) {
      cluster.seedRealisticCluster();
      cluster.createJson("/apis/apps/v1/namespaces/kube-system/daemonsets", CALICO_NODE_DAEMON_SET);
      out.println();
      out.println(
          "(embedded Kubernetes API at "
              + cluster.url()
              + ", "
              + cluster.podCount()
              + " pods seeded)");
      ApiClient client = cluster.apiClient();
      images(out, client);
      reaper(out, client);
      calico(out, client);
    }
    allowlist(out);
    sysctl(out);
    out.flush();
    return 0;
  }

  private static void core(PrintWriter out) throws Exception {
    section(out, "core: commands are argv lists, results are typed");
    CommandExecutor local = LocalExecutor.create();
    ExecResult kernel = local.execute("uname", "-sr");
    out.println(
        "  uname -sr -> "
            + kernel.stdoutUtf8().strip()
            + " in "
            + kernel.duration().toMillis()
            + " ms");
    Command hostile = Command.of("printf", "%s|", "it's", "$(id)", "a b", "");
    out.println(
        "  argv " + hostile.display() + " prints back: " + local.execute(hostile).stdoutUtf8());
    ExecResult failed = local.execute("sh", "-c", "echo oops >&2; exit 3");
    out.println(
        "  a non-zero exit is data: exit="
            + failed.exitCode().getAsInt()
            + " stderr="
            + failed.stderrUtf8().strip());
    ExecResult slow = local.execute(Command.of("sleep", "5").withTimeout(Duration.ofMillis(200)));
    out.println("  a timeout kills the process tree: timedOut=" + slow.timedOut());
  }

  private static void images(PrintWriter out, ApiClient client) throws Exception {
    section(out, "cluster: image inventory (every init, regular and ephemeral container)");
    ImageViews views = ImageInventory.on(client).views(ImagePolicy.defaults());
    out.println("  " + views.containers() + " containers in " + views.pods() + " pods");
    ImageReportFormat.TABLE.writeImages(views.images(), out);
    out.println();
    out.println("  findings:");
    ImageReportFormat.TABLE.writeFindings(views.findings(), out);
  }

  private static void reaper(PrintWriter out, ApiClient client) throws Exception {
    section(out, "cluster: PodReaper dry run (Failed pods; Job pods kept by default)");
    PodReaper reaper = PodReaper.on(client);
    ReapReport dryRun = reaper.reap(ReapPolicy.builder().dryRun(true).build());
    for (ReapedPod pod : dryRun.pods()) {
      out.printf(
          "  %-13s %-40s %-7s %-10s %s%n",
          pod.outcome(), pod.key(), pod.node(), pod.reason(), pod.detail());
    }
    out.print(dryRun.render());
    section(out, "cluster: PodReaper real run");
    ReapReport real = reaper.reap(ReapPolicy.defaults());
    out.print(real.render());
  }

  private static void calico(PrintWriter out, ApiClient client) throws Exception {
    section(
        out, "cluster: Calico IP_AUTODETECTION_METHOD plan (the notes' interface=eth0|en0|en2)");
    CalicoAutodetection calico =
        CalicoAutodetection.builder(client)
            .ipv4(CalicoAutodetectionMethod.parse("interface=eth0|en0|en2"))
            .build();
    out.print(calico.plan().render());
  }

  private static void allowlist(PrintWriter out) {
    section(out, "iptables: NodePort 30001 allowlist that holds behind kube-proxy (not applied)");
    NodePortAllowlist allowlist =
        NodePortAllowlist.builder()
            .name("demo")
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("192.168.1.100", "192.168.1.101")
            .build();
    out.println("  mode " + allowlist.mode() + ": dropped in raw PREROUTING, before DNAT;");
    out.println("  a plain INPUT --dport 30001 rule never sees the port after kube-proxy's DNAT.");
    out.print(indent(allowlist.ruleSet(IpFamily.IPV4).render()));
    allowlist.warnings().forEach(w -> out.println("  warning: " + w));
  }

  private static void sysctl(PrintWriter out) throws Exception {
    section(out, "sysctl: this machine against the kubernetes-node profile (read-only)");
    SysctlApplier applier = SysctlApplier.on(LocalExecutor.create());
    for (SysctlDrift drift : applier.drift(SysctlProfile.kubernetesNode())) {
      out.println("  " + drift.render());
    }
  }

  private static String indent(String text) {
    return text.lines().map(line -> "    " + line + "\n").reduce("", String::concat);
  }

  static void section(PrintWriter out, String title) {
    out.println();
    out.println("== " + title);
  }

  private static final String CALICO_NODE_DAEMON_SET =
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\","
          + "\"metadata\":{\"name\":\"calico-node\",\"namespace\":\"kube-system\"},"
          + "\"spec\":{\"selector\":{\"matchLabels\":{\"k8s-app\":\"calico-node\"}},"
          + "\"template\":{\"metadata\":{\"labels\":{\"k8s-app\":\"calico-node\"}},"
          + "\"spec\":{\"containers\":[{\"name\":\"calico-node\","
          + "\"image\":\"docker.io/calico/node:v3.29.1\",\"env\":["
          + "{\"name\":\"DATASTORE_TYPE\",\"value\":\"kubernetes\"},"
          + "{\"name\":\"IP\",\"value\":\"autodetect\"},"
          + "{\"name\":\"IP_AUTODETECTION_METHOD\",\"value\":\"first-found\"}]}]}}}}";
}
