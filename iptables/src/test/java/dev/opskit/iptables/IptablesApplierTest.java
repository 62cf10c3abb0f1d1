package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.FakeCommandExecutor;
import java.util.List;
import org.junit.jupiter.api.Test;

class IptablesApplierTest {
  private static final String EMPTY_RAW =
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

  private static NodePortAllowlist sshAllowlist(boolean allowLockout) {
    return NodePortAllowlist.builder()
        .name("ssh")
        .mode(NodePortAllowlist.Mode.INPUT)
        .addPorts(PortRange.of(22))
        .addAllowedCidrs("198.18.1.0/24")
        .allowSelfLockout(allowLockout)
        .build();
  }

  private static FakeCommandExecutor host(String sshConnection) {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("iptables", "--version").replyStdout("iptables v1.8.9 (nf_tables)\n");
    if (sshConnection == null) {
      fake.onArgv("printenv", "SSH_CONNECTION").replyExit(1);
    } else {
      fake.onArgv("printenv", "SSH_CONNECTION").replyStdout(sshConnection + "\n");
    }
    fake.onArgv("ipset", "list", "-n").replyStdout("");
    fake.onArgv("iptables-save").replyStdout(EMPTY_RAW);
    fake.onArgv("ip6tables-save").replyStdout(EMPTY_RAW);
    fake.onArgvStartingWith("iptables-restore").replyExit(0);
    fake.onArgvStartingWith("ip6tables-restore").replyExit(0);
    return fake;
  }

  @Test
  void refusesToCutOffItsOwnSshConnection() {
    FakeCommandExecutor fake = host("198.18.9.9 51234 198.18.0.1 22");
    assertThatThrownBy(() -> IptablesApplier.create(fake).apply(sshAllowlist(false)))
        .isInstanceOfSatisfying(
            SelfLockoutException.class,
            e -> {
              assertThat(e.clientAddress()).isEqualTo("198.18.9.9");
              assertThat(e.serverPort()).isEqualTo(22);
            });
    assertThat(fake.argvs()).noneMatch(argv -> argv.get(0).endsWith("-restore"));
  }

  @Test
  void allowsItWhenTheClientIsAllowedOrLockoutIsExplicit() throws Exception {
    FakeCommandExecutor allowedClient = host("198.18.1.9 51234 198.18.0.1 22");
    assertThatNoLockout(allowedClient, sshAllowlist(false));
    FakeCommandExecutor explicit = host("198.18.9.9 51234 198.18.0.1 22");
    assertThatNoLockout(explicit, sshAllowlist(true));
    FakeCommandExecutor noSsh = host(null);
    assertThatNoLockout(noSsh, sshAllowlist(false));
  }

  @Test
  void protectedConnectionCanBeStatedWhenSudoHidesTheEnvironment() {
    FakeCommandExecutor fake = host(null);
    IptablesApplier applier =
        IptablesApplier.builder(fake).protectConnection("198.18.9.9", 22).build();
    assertThatThrownBy(() -> applier.apply(sshAllowlist(false)))
        .isInstanceOf(SelfLockoutException.class);
  }

  private static void assertThatNoLockout(FakeCommandExecutor fake, NodePortAllowlist list)
      throws Exception {
    // the fake host never shows the rules as applied, so verification must fail loudly
    assertThatThrownBy(() -> IptablesApplier.create(fake).apply(list))
        .isInstanceOf(IptablesApplyException.class)
        .hasMessageContaining("differ from the desired set");
    assertThat(fake.argvs())
        .contains(List.of("iptables-restore", "--noflush", "-w"))
        .contains(List.of("ip6tables-restore", "--noflush", "-w"));
  }

  @Test
  void fixedBackendUsesItsOwnPrograms() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("iptables-legacy-save").replyStdout(EMPTY_RAW);
    IptablesApplier applier = IptablesApplier.builder(fake).backend(IptablesBackend.LEGACY).build();
    assertThat(applier.observe(IpFamily.IPV4).table("raw")).isPresent();
    assertThat(fake.argvs()).containsExactly(List.of("iptables-legacy-save"));
  }

  @Test
  void backendComesFromTheVersionString() {
    assertThat(IptablesBackend.fromVersion("iptables v1.8.9 (nf_tables)"))
        .isEqualTo(IptablesBackend.NFT);
    assertThat(IptablesBackend.fromVersion("iptables v1.8.7 (legacy)"))
        .isEqualTo(IptablesBackend.LEGACY);
    assertThat(IptablesBackend.fromVersion("iptables v1.6.1")).isEqualTo(IptablesBackend.LEGACY);
  }
}
