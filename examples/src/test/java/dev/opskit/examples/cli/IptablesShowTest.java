package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesRuleSet;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class IptablesShowTest {

  @Test
  void everyRuleIsDescribedAndPrintedAsSaved() {
    IptablesRuleSet set =
        IptablesRuleSet.parse(
            IpFamily.IPV4,
            "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n"
                + ":KUBE-SVC-WEB - [0:0]\n"
                + "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n"
                + "-A KUBE-SVC-WEB -m comment --comment \"ns1/web\" -m statistic --mode random"
                + " --probability 0.5 -j KUBE-MARK-MASQ\n"
                + "-A KUBE-SVC-WEB -m recent --name KUBE-SVC-WEB --rcheck --seconds 10800 -j DROP\n"
                + "COMMIT\n");
    StringWriter text = new StringWriter();

    IptablesCommand.Show.describe(set, new PrintWriter(text, true));

    assertThat(text.toString())
        .isEqualTo(
            String.join(
                "\n",
                "table nat",
                "  chain KUBE-MARK-MASQ",
                "    1. every packet: set mark bits 0x4000",
                "       -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
                "  chain KUBE-SVC-WEB",
                "    1. comment 'ns1/web', randomly, probability 0.5: jump to KUBE-MARK-MASQ",
                "       -A KUBE-SVC-WEB -m comment --comment \"ns1/web\" -m statistic --mode random"
                    + " --probability 0.50000000000 -j KUBE-MARK-MASQ",
                "    2. source in recent list KUBE-SVC-WEB, seen within 10800s: drop",
                "       -A KUBE-SVC-WEB -m recent --rcheck --seconds 10800 --name KUBE-SVC-WEB"
                    + " --mask 255.255.255.255 --rsource -j DROP",
                ""));
  }
}
