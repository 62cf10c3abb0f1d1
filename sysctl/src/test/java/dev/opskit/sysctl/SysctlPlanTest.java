package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SysctlPlanTest {
  private static final String DIR = "/etc/sysctl.d";
  private static final SysctlKey FILE_MAX = SysctlKey.of("fs.file-max");
  private static final SysctlKey RMEM = SysctlKey.of("net.ipv4.tcp_rmem");
  private static final SysctlKey FORWARD = SysctlKey.of("net.ipv4.ip_forward");
  private static final SysctlKey BRIDGE = SysctlKey.of("net.bridge.bridge-nf-call-iptables");
  private static final SysctlKey CONNTRACK = SysctlKey.of("net.netfilter.nf_conntrack_max");

  private static Map<SysctlKey, String> live(Object... pairs) {
    Map<SysctlKey, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put((SysctlKey) pairs[i], (String) pairs[i + 1]);
    }
    return map;
  }

  @Test
  void driftReportsEveryStateWithoutThrowing() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("d")
            .set("fs.file-max", "2097152")
            .set("net.ipv4.tcp_rmem", "4096 131072 6291456")
            .set("net.ipv4.ip_forward", "1")
            .set("net.bridge.bridge-nf-call-iptables", "1")
            .set("net.ipv4.route.flush", "1")
            .build();
    SysctlObservation seen =
        SysctlObservation.builder()
            .values(live(FILE_MAX, "1000", RMEM, "4096\t131072\t6291456", FORWARD, "1"))
            .addUnknown(BRIDGE)
            .addUnreadable(SysctlKey.of("net.ipv4.route.flush"))
            .build();

    assertThat(SysctlDrift.compare(profile, seen))
        .extracting(d -> d.key().name(), SysctlDrift::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("fs.file-max", SysctlDrift.Status.DIFFERS),
            org.assertj.core.groups.Tuple.tuple("net.ipv4.tcp_rmem", SysctlDrift.Status.EQUAL),
            org.assertj.core.groups.Tuple.tuple("net.ipv4.ip_forward", SysctlDrift.Status.EQUAL),
            org.assertj.core.groups.Tuple.tuple(
                "net.bridge.bridge-nf-call-iptables", SysctlDrift.Status.UNKNOWN_ON_KERNEL),
            org.assertj.core.groups.Tuple.tuple(
                "net.ipv4.route.flush", SysctlDrift.Status.MISSING));
    assertThat(SysctlDrift.compare(profile, seen).get(0).render())
        .isEqualTo("DIFFERS fs.file-max: live 1000, want 2097152");
  }

  @Test
  void multiValueComparisonIsWhitespaceNormalisedButNotOtherwiseLoose() {
    SysctlProfile profile =
        SysctlProfile.builder().name("m").set("net.ipv4.tcp_rmem", "4096 131072 6291456").build();

    assertThat(status(profile, "  4096 \t 131072\t\t6291456\n"))
        .isEqualTo(SysctlDrift.Status.EQUAL);
    assertThat(status(profile, "4096 131072 6291457")).isEqualTo(SysctlDrift.Status.DIFFERS);
    assertThat(status(profile, "4096131072 6291456")).isEqualTo(SysctlDrift.Status.DIFFERS);
  }

  private static SysctlDrift.Status status(SysctlProfile profile, String live) {
    return SysctlDrift.compare(profile, SysctlObservation.of(live(RMEM, live))).get(0).status();
  }

  @Test
  void planSetsDifferingValuesAndWritesTheDropIn() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("p")
            .set("net.ipv4.ip_forward", "1")
            .set("fs.file-max", "5")
            .build();
    SysctlPlan plan =
        SysctlPlan.of(profile, SysctlObservation.of(live(FORWARD, "0", FILE_MAX, "5")), DIR);

    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.changes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.key()).isEqualTo(FORWARD);
              assertThat(c.before()).hasValue("0");
              assertThat(c.after()).isEqualTo("1");
            });
    assertThat(plan.dropInCurrent()).isFalse();
    assertThat(plan.dropInPath()).isEqualTo("/etc/sysctl.d/99-opskit-p.conf");
    assertThat(plan.dropInContent()).isEqualTo(profile.render());
    assertThat(plan.render())
        .contains("set net.ipv4.ip_forward: 0 -> 1")
        .contains("write /etc/sysctl.d/99-opskit-p.conf");
  }

  @Test
  void planIsEmptyWhenLiveValuesAndDropInMatch() {
    SysctlProfile profile =
        SysctlProfile.builder().name("p").set("net.ipv4.tcp_rmem", "4096 131072 6291456").build();
    SysctlObservation seen =
        SysctlObservation.builder()
            .values(live(RMEM, "4096\t131072\t6291456"))
            .dropIn(profile.render())
            .build();

    SysctlPlan plan = SysctlPlan.of(profile, seen, DIR);

    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.decisions()).isEmpty();
    assertThat(plan.render()).endsWith(": up to date\n");
  }

  @Test
  void staleDropInAloneMakesThePlanNonEmpty() {
    SysctlProfile profile =
        SysctlProfile.builder().name("p").set("net.ipv4.ip_forward", "1").build();
    SysctlObservation seen =
        SysctlObservation.builder()
            .values(live(FORWARD, "1"))
            .dropIn(profile.render().replace("= 1", "= 0"))
            .build();

    SysctlPlan plan = SysctlPlan.of(profile, seen, DIR);

    assertThat(plan.changes()).isEmpty();
    assertThat(plan.isEmpty()).isFalse();
  }

  @Test
  void raiseOnlyNeverLowersTheMaximumLongFileMax() {
    SysctlProfile profile =
        SysctlProfile.builder().name("n").setRaiseOnly("fs.file-max", 2097152).build();
    SysctlObservation seen = SysctlObservation.of(live(FILE_MAX, "9223372036854775807"));

    SysctlPlan plan = SysctlPlan.of(profile, seen, DIR);

    assertThat(plan.changes()).isEmpty();
    assertThat(plan.decisions())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.action()).isEqualTo(SysctlChange.Action.KEEP_HIGHER);
              assertThat(c.after()).isEqualTo("9223372036854775807");
            });
    assertThat(plan.dropInContent())
        .contains("fs.file-max = 9223372036854775807\n")
        .doesNotContain("fs.file-max = 2097152");
    assertThat(plan.render()).contains("keep fs.file-max = 9223372036854775807 (raise-only");

    SysctlObservation persisted =
        SysctlObservation.builder().from(seen).dropIn(plan.dropInContent()).build();
    SysctlPlan again = SysctlPlan.of(profile, persisted, DIR);
    assertThat(again.isEmpty()).isTrue();
    assertThat(again.decisions())
        .extracting(SysctlChange::action)
        .containsExactly(SysctlChange.Action.KEEP_HIGHER);
  }

  @Test
  void raiseOnlyRaisesALowerValueAndHandlesValuesBeyondLong() {
    SysctlProfile profile =
        SysctlProfile.builder().name("n").setRaiseOnly("fs.file-max", 2097152).build();

    SysctlPlan lower = SysctlPlan.of(profile, SysctlObservation.of(live(FILE_MAX, "65536")), DIR);
    SysctlPlan huge =
        SysctlPlan.of(profile, SysctlObservation.of(live(FILE_MAX, "18446744073709551615")), DIR);
    SysctlPlan garbage = SysctlPlan.of(profile, SysctlObservation.of(live(FILE_MAX, "n/a")), DIR);

    assertThat(lower.changes()).extracting(SysctlChange::after).containsExactly("2097152");
    assertThat(lower.dropInContent()).contains("fs.file-max = 2097152\n");
    assertThat(huge.changes()).isEmpty();
    assertThat(huge.dropInContent()).contains("fs.file-max = 18446744073709551615\n");
    assertThat(garbage.changes()).extracting(SysctlChange::after).containsExactly("2097152");
  }

  @Test
  void withoutRaiseOnlyAHigherValueIsLowered() {
    SysctlProfile profile = SysctlProfile.builder().name("n").set("fs.file-max", "2097152").build();
    SysctlPlan plan =
        SysctlPlan.of(profile, SysctlObservation.of(live(FILE_MAX, "9223372036854775807")), DIR);
    assertThat(plan.changes()).extracting(SysctlChange::after).containsExactly("2097152");
  }

  @Test
  void unknownKeysBlockUnlessOptional() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("k")
            .set("net.bridge.bridge-nf-call-iptables", "1")
            .set("net.netfilter.nf_conntrack_max", "262144")
            .optional("net.netfilter.nf_conntrack_max")
            .build();
    SysctlObservation seen =
        SysctlObservation.builder()
            .addUnknown(BRIDGE)
            .addUnknown(CONNTRACK)
            .dropIn(profile.render())
            .build();

    SysctlPlan plan = SysctlPlan.of(profile, seen, DIR);

    assertThat(plan.blocked()).extracting(SysctlChange::key).containsExactly(BRIDGE);
    assertThat(plan.decisions())
        .extracting(SysctlChange::action)
        .containsExactly(SysctlChange.Action.BLOCKED_UNKNOWN, SysctlChange.Action.SKIP_UNKNOWN);
    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.dropInContent()).contains("-net.netfilter.nf_conntrack_max = 262144");
  }

  @Test
  void relativeDirectoryIsRejected() {
    SysctlProfile profile = SysctlProfile.builder().name("p").set("a.b", "1").build();
    assertThatThrownBy(() -> SysctlPlan.of(profile, SysctlObservation.of(Map.of()), "etc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute");
  }
}
