package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KubernetesSysctlsTest {

  private static KubernetesSysctlScope scope(String key) {
    return KubernetesSysctls.classify(SysctlKey.of(key)).scope();
  }

  @Test
  void classifiesTheKubeletSafeListNamespacedAndNodeLevelKeys() {
    assertThat(KubernetesSysctls.podSafeKeys()).hasSize(14);
    assertThat(scope("kernel.shm_rmid_forced")).isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(scope("net.ipv4.ip_local_port_range")).isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(scope("net/ipv4/tcp_rmem")).isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(scope("net.core.somaxconn")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("net.ipv4.ip_forward")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel.shmmax")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel.msgmnb")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel.sem")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("fs.mqueue.msg_max")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("fs.file-max")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("fs.inotify.max_user_watches")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("kernel.semmni")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("vm.max_map_count")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_fin_timeout")).minimumKernel())
        .as("the newest kubelet takes tcp_fin_timeout on any kernel")
        .isEmpty();
    assertThat(
            KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_notsent_lowat")).minimumKernel())
        .hasValue("4.6");
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.core.somaxconn")).note())
        .contains("--allowed-unsafe-sysctls=net.core.somaxconn");
  }

  @Test
  void oldKernelsDropKeysFromTheSafeList() {
    SysctlKey slowStart = SysctlKey.of("net.ipv4.tcp_slow_start_after_idle");
    assertThat(KubernetesSysctls.classify(slowStart, "4.14.300-220.amzn2").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(slowStart, "4.15").scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_wmem"), "4.14.300").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_wmem"), "6.18.44-fc").scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("fs.file-max"), "3.10").scope())
        .isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThatThrownBy(() -> KubernetesSysctls.classify(slowStart, "linux"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kernel release 'linux'");
  }

  @Test
  void keepaliveAndFinTimeoutAreSafeOnAnyKernelForTheNewestKubelet() {
    for (String key :
        new String[] {
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes",
          "net.ipv4.tcp_fin_timeout"
        }) {
      assertThat(KubernetesSysctls.classify(SysctlKey.of(key), "3.10.0-1160.el7").scope())
          .as(key)
          .isEqualTo(KubernetesSysctlScope.POD_SAFE);
      assertThat(KubernetesSysctls.classify(SysctlKey.of(key), "v1.33.1", "3.10.0").scope())
          .as(key + " on an older kubelet, which gated it by kernel")
          .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
      assertThat(KubernetesSysctls.classify(SysctlKey.of(key), "v1.33.1", "4.19.0").scope())
          .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    }
  }

  @Test
  void newerSafeKeysDependOnTheKubeletVersion() {
    SysctlKey notsent = SysctlKey.of("net.ipv4.tcp_notsent_lowat");
    assertThat(KubernetesSysctls.classify(notsent, "v1.36.4", "6.1.0").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(notsent, "v1.36.4", "6.1.0").note())
        .contains("kubelet v1.36.4")
        .contains("from v1.37");
    assertThat(KubernetesSysctls.classify(notsent, "1.37.0", "6.1.0").scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(KubernetesSysctls.classify(notsent, "1.37", "4.5.7").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(notsent, null, null).scope())
        .as("defaults: the newest kubelet, a recent enough kernel")
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    SysctlKey reserved = SysctlKey.of("net.ipv4.ip_local_reserved_ports");
    assertThat(KubernetesSysctls.classify(reserved, "v1.26.0", null).scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(reserved, "v1.27.0", null).scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(
            KubernetesSysctls.classify(SysctlKey.of("kernel.shm_rmid_forced"), "1.10", "3.2")
                .scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThatThrownBy(() -> KubernetesSysctls.classify(notsent, "latest", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kubelet version 'latest'");
  }

  @Test
  void ipcKeysMatchByExactNameAndPrefixesOnlyWithADot() {
    assertThat(scope("kernel.shmall")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel.msgmni")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel/msg")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("kernel.shm_next_id")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("kernel.msg_next_id")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("kernel.sem_next_id")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("fs.mqueue.msgsize_max")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(scope("fs.mqueue")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("net")).isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThat(scope("net.unix.max_dgram_qlen")).isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
  }

  @Test
  void podSnippetHoldsOnlyPodSafeKeysAndExplainsTheRest() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("pod")
            .set("net.ipv4.ip_local_port_range", "1024 65535")
            .set("net.ipv4.ip_local_reserved_ports", "4096\t87380 \"6291456\"")
            .set("net.core.somaxconn", "4096")
            .set("fs.file-max", "2097152")
            .build();

    assertThat(KubernetesSysctls.podSecurityContext(profile))
        .isEqualTo(
            "# left out net.core.somaxconn: namespaced but unsafe: pods may set it only where the"
                + " kubelet runs with --allowed-unsafe-sysctls=net.core.somaxconn\n"
                + "# left out fs.file-max: node-level: one value for the whole host; set it on the"
                + " node, not in a pod\n"
                + "securityContext:\n"
                + "  sysctls:\n"
                + "  - name: net.ipv4.ip_local_port_range\n"
                + "    value: \"1024 65535\"\n"
                + "  - name: net.ipv4.ip_local_reserved_ports\n"
                + "    value: \"4096\\t87380 \\\"6291456\\\"\"\n");
    assertThat(KubernetesSysctls.podSecurityContext(profile, true))
        .contains("  # needs kubelet --allowed-unsafe-sysctls=net.core.somaxconn\n")
        .contains("  - name: net.core.somaxconn\n    value: \"4096\"\n")
        .doesNotContain("- name: fs.file-max");
  }

  @Test
  void nodeProfileHasNoPodSysctls() {
    assertThat(KubernetesSysctls.podSecurityContext(SysctlProfile.kubernetesNode()))
        .endsWith("securityContext:\n  sysctls: []\n")
        .contains("# left out fs.file-max: node-level");
    assertThat(KubernetesSysctls.classify(SysctlProfile.kubernetesNode()))
        .extracting(KubernetesSysctl::scope)
        .doesNotContain(KubernetesSysctlScope.POD_SAFE);
  }
}
