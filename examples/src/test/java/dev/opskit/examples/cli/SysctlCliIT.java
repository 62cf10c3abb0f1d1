package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import dev.opskit.sysctl.SysctlFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Privileged(tools = {"ip", "sysctl"})
class SysctlCliIT {

  @Test
  void applyInsideANamespaceThenNothingToDo(@TempDir Path dir) throws Exception {
    Path profile = dir.resolve("lab.conf");
    Files.writeString(profile, "net.core.somaxconn = 1234\nnet.ipv4.ip_forward = 1\n");
    Path dropIns = Files.createDirectory(dir.resolve("sysctl.d"));
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl");
      String[] apply = {
        "sysctl",
        "apply",
        "--netns",
        ns,
        "--profile",
        profile.toString(),
        "--sysctl-dir",
        dropIns.toString()
      };

      CliRun first = CliRun.of(apply);
      assertThat(first.exitCode).as(first.toString()).isZero();
      assertThat(first.out).contains("applied and verified");
      assertThat(net.exec(ns, "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8().strip())
          .isEqualTo("1234");
      assertThat(Files.readString(dropIns.resolve("99-opskit-lab.conf")))
          .contains("net.core.somaxconn = 1234");

      CliRun second = CliRun.of(apply);
      assertThat(second.exitCode).isZero();
      assertThat(second.out).contains("already up to date");

      CliRun diff = CliRun.of("sysctl", "diff", "--netns", ns, "--profile", profile.toString());
      assertThat(diff.out).contains("EQUAL net.core.somaxconn");
    }
  }

  @Test
  void badKeyIsExitTwo() {
    CliRun run = CliRun.of("sysctl", "diff", "--set", "net.core.$(id)=1");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("'net.core.$(id)'");
  }

  /** Host values of every key the built-in profile names; none may change. */
  private static final List<String> HOST_KEYS =
      List.of(
          "fs/file-max",
          "fs/inotify/max_user_watches",
          "fs/inotify/max_user_instances",
          "vm/max_map_count",
          "vm/overcommit_memory",
          "vm/panic_on_oom",
          "kernel/pid_max",
          "kernel/panic",
          "kernel/panic_on_oops",
          "net/core/somaxconn",
          "net/ipv4/ip_forward");

  private static Map<String, String> hostValues() throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : HOST_KEYS) {
      values.put(key, Files.readString(Path.of("/proc/sys", key)).strip());
    }
    return values;
  }

  @Test
  void setAloneAppliesExactlyTheKeysGiven(@TempDir Path dir) throws Exception {
    Map<String, String> hostBefore = hostValues();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-set");
      String[] apply = {
        "sysctl",
        "apply",
        "--netns",
        ns,
        "--set",
        "net.core.somaxconn=4097",
        "--sysctl-dir",
        dir.toString()
      };

      CliRun dryRun = CliRun.of(append(apply, "--dry-run"));
      assertThat(dryRun.exitCode).as(dryRun.toString()).isZero();
      assertThat(dryRun.out)
          .contains("net.core.somaxconn")
          .doesNotContain("vm.")
          .doesNotContain("kernel.")
          .doesNotContain("fs.");

      CliRun run = CliRun.of(apply);
      assertThat(run.exitCode).as(run.toString()).isZero();
      assertThat(run.out).contains("applied and verified").doesNotContain("vm.overcommit_memory");
      assertThat(net.exec(ns, "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8().strip())
          .isEqualTo("4097");
      SysctlFile written =
          SysctlFile.parse("x", Files.readString(dir.resolve("99-opskit-custom.conf")));
      assertThat(written.entries())
          .extracting(e -> e.key().name() + "=" + e.value())
          .containsExactly("net.core.somaxconn=4097");
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  @Test
  void builtInProfileFromInsideANamespaceIsRefusedAndTheHostKeepsItsValues(@TempDir Path dir)
      throws Exception {
    Map<String, String> hostBefore = hostValues();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-global");

      CliRun run =
          CliRun.of(
              "sysctl",
              "apply",
              "--netns",
              ns,
              "--profile",
              "kubernetes-node",
              "--sysctl-dir",
              dir.toString());

      assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
      assertThat(run.err.strip().lines()).hasSize(1);
      assertThat(run.err)
          .contains("vm.overcommit_memory not scoped to the network namespace")
          .contains("nothing was written")
          .contains("--host-wide");
      try (var files = Files.list(dir)) {
        assertThat(files).isEmpty();
      }
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  @Test
  void applyWithNothingNamedIsExitTwo() {
    CliRun run = CliRun.of("sysctl", "apply", "--dry-run");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err.strip())
        .isEqualTo(
            "opskit: name what to apply: --profile kubernetes-node, --profile FILE or --set"
                + " KEY=VALUE");
  }

  @Test
  void garbageOrDirectoryProfileIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
    Path garbage = dir.resolve("garbage.conf");
    Files.write(garbage, new byte[] {'a', 'b', 'c', '\n', 'x', 'y', '\n'});
    Path binary = dir.resolve("binary.conf");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});

    CliRun text = CliRun.of("sysctl", "diff", "--profile", garbage.toString());
    assertThat(text.exitCode).isEqualTo(2);
    assertThat(text.err.strip().lines()).hasSize(1);
    assertThat(text.err).contains(garbage + ":1: not an assignment");

    CliRun bytes = CliRun.of("sysctl", "diff", "--profile", binary.toString());
    assertThat(bytes.exitCode).isEqualTo(2);
    assertThat(bytes.err.strip())
        .isEqualTo("opskit: --profile " + binary + " is not a text file (not UTF-8)");

    CliRun folder = CliRun.of("sysctl", "apply", "--profile", dir.toString());
    assertThat(folder.exitCode).isEqualTo(2);
    assertThat(folder.err.strip())
        .isEqualTo(
            "opskit: --profile "
                + dir
                + " is a directory; give kubernetes-node or a sysctl.d file");

    CliRun missing = CliRun.of("sysctl", "apply", "--profile", dir.resolve("none.conf").toString());
    assertThat(missing.exitCode).isEqualTo(2);
    assertThat(missing.err.strip().lines()).hasSize(1);
    assertThat(missing.err).contains("does not exist");
  }

  @Test
  void missingOrReadOnlySysctlDirIsOneLine(@TempDir Path dir) throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-dir");
      String before = net.exec(ns, "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8().strip();
      Path missing = dir.resolve("no-such-dir");

      CliRun absent =
          CliRun.of(
              "sysctl",
              "apply",
              "--netns",
              ns,
              "--set",
              "net.core.somaxconn=4099",
              "--sysctl-dir",
              missing.toString());
      assertThat(absent.exitCode).as(absent.toString()).isEqualTo(1);
      assertThat(absent.err.strip())
          .isEqualTo(
              "opskit: cannot write the drop-in for sysctl profile custom: folder "
                  + missing
                  + " does not exist; nothing was changed");

      // procfs takes no new files, even from root: a folder nobody can write to
      CliRun readOnly =
          CliRun.of(
              "sysctl",
              "apply",
              "--netns",
              ns,
              "--set",
              "net.core.somaxconn=4099",
              "--sysctl-dir",
              "/proc/sys/net");
      assertThat(readOnly.exitCode).as(readOnly.toString()).isEqualTo(1);
      assertThat(readOnly.err.strip())
          .isEqualTo(
              "opskit: cannot write the drop-in for sysctl profile custom: cannot create a file"
                  + " in /proc/sys/net (read-only or permission denied); nothing was changed");
      assertThat(net.exec(ns, "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8().strip())
          .isEqualTo(before);
    }
  }

  /** Vendor defaults in the shape systemd ships them: globs, exclusions, '-' assignments. */
  private static final String VENDOR =
      "# vendor defaults\n"
          + "kernel.sysrq = 16\n"
          + "net.ipv4.conf.default.rp_filter = 2\n"
          + "net.ipv4.conf.*.rp_filter = 2\n"
          + "-net.ipv4.conf.all.rp_filter\n"
          + "-net.core.default_qdisc = fq_codel\n";

  @Test
  void diffWorksWithVendorFilesAndSaysWhichFileWinsAtBoot(@TempDir Path dir) throws Exception {
    Path vendor = dir.resolve("zz-vendor.conf");
    Files.writeString(vendor, VENDOR);
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-diff");

      CliRun diff =
          CliRun.of(
              "sysctl",
              "diff",
              "--netns",
              ns,
              "--sysctl-dir",
              dir.toString(),
              "--set",
              "net.ipv4.conf.lo.rp_filter=1",
              "--set",
              "net.ipv4.conf.all.rp_filter=0");

      assertThat(diff.exitCode).as(diff.toString()).isZero();
      assertThat(diff.out)
          .contains(
              "net.ipv4.conf.lo.rp_filter = 2 from "
                  + vendor
                  + ":4 (glob net.ipv4.conf.*.rp_filter)")
          .contains("net.ipv4.conf.all.rp_filter: excluded from globs by " + vendor + ":5");

      CliRun asProfile = CliRun.of("sysctl", "diff", "--profile", vendor.toString());
      assertThat(asProfile.exitCode).isEqualTo(2);
      assertThat(asProfile.err).contains("glob key net.ipv4.conf.*.rp_filter");
    }
  }

  private static String[] append(String[] args, String... more) {
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }
}
