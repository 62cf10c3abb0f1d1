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
    assertThat(KubernetesSysctls.podSafeKeys()).hasSize(12);
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
        .hasValue("4.6");
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.core.somaxconn")).note())
        .contains("--allowed-unsafe-sysctls=net.core.somaxconn");
  }

  @Test
  void oldKernelsDropKeysFromTheSafeList() {
    SysctlKey keepalive = SysctlKey.of("net.ipv4.tcp_keepalive_time");
    assertThat(KubernetesSysctls.classify(keepalive, "4.4.0-210-generic").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(keepalive, "4.5").scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_wmem"), "4.14.300").scope())
        .isEqualTo(KubernetesSysctlScope.NAMESPACED_UNSAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_wmem"), "6.18.44-fc").scope())
        .isEqualTo(KubernetesSysctlScope.POD_SAFE);
    assertThat(KubernetesSysctls.classify(SysctlKey.of("fs.file-max"), "3.10").scope())
        .isEqualTo(KubernetesSysctlScope.NODE_LEVEL);
    assertThatThrownBy(() -> KubernetesSysctls.classify(keepalive, "linux"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kernel release 'linux'");
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
