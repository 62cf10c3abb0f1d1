package dev.opskit.examples;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.LocalExecutor;
import dev.opskit.iptables.ApplyCheck;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Lets only two addresses reach NodePort 30001, in a way that holds behind kube-proxy's DNAT, with
 * a rollback if a check fails. Needs root; run it inside a network namespace of your own ({@code ip
 * netns exec NAME java ...}) to try it safely. The marked part is quoted in the README.
 */
public final class IptablesExample {
  private IptablesExample() {}

  /** Applies the allowlist, checks it, and prints what happened. */
  public static void main(String[] args) throws IOException, InterruptedException {
    // [readme]
    NodePortAllowlist allowlist =
        NodePortAllowlist.builder()
            .name("web")
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("192.168.1.100", "192.168.1.101")
            .mode(NodePortAllowlist.Mode.RAW_PREROUTING) // the default: before conntrack and DNAT
            .build();

    ApplyCheck stillReachable = // a new connection still gets in, or the change is undone
        () -> {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 22), 2_000);
            return true;
          }
        };
    CommandExecutor node = LocalExecutor.create(); // or an SshExecutor, .withSudo()
    IptablesApplier iptables = IptablesApplier.on(node);
    IptablesApplyResult result =
        iptables.applyWithCheck(allowlist, stillReachable, Duration.ofSeconds(30));
    System.out.println(result.summary()); // a second apply changes nothing and says so
    // [/readme]
  }
}
