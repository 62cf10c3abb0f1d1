package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure planning function: no host involved. */
class LimitsPlanTest {
  private static final String LIMITS = "/x/limits.d";
  private static final String SYSTEMD = "/x/systemd";

  private static LimitsProfile profile(String nofile, String serviceNofile) {
    return LimitsProfile.builder()
        .name("p")
        .addEntries(LimitsEntry.of("*", LimitsEntry.Type.BOTH, LimitsEntry.Item.NOFILE, nofile))
        .putServiceNofile("containerd.service", serviceNofile)
        .build();
  }

  @Test
  void currentFilesMakeAnEmptyPlan() {
    LimitsProfile profile = profile("65536", "65536");
    LimitsObservation observed =
        LimitsObservation.builder().files(profile.files(LIMITS, SYSTEMD)).nrOpen(1048576).build();

    LimitsPlan plan = LimitsPlan.of(profile, observed, LIMITS, SYSTEMD);

    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.changes()).isEmpty();
    assertThat(plan.unitsToRestart()).isEmpty();
    assertThat(plan.files())
        .extracting(f -> f.unit().orElse("-"))
        .containsExactly("-", "containerd.service");
    assertThat(plan.render()).isEqualTo("limits profile p: up to date (2 files)\n");
  }

  @Test
  void aChangedDropInNamesItsUnitToRestartButALimitsFileDoesNot() {
    LimitsProfile profile = profile("65536", "65536");
    Map<String, String> files = new java.util.LinkedHashMap<>(profile.files(LIMITS, SYSTEMD));
    files.put("/x/limits.d/99-opskit-p.conf", "# edited by hand\n");

    LimitsPlan limitsOnly =
        LimitsPlan.of(profile, LimitsObservation.builder().files(files).build(), LIMITS, SYSTEMD);
    assertThat(limitsOnly.changes())
        .extracting(LimitsFileChange::path)
        .containsExactly("/x/limits.d/99-opskit-p.conf");
    assertThat(limitsOnly.unitsToRestart()).isEmpty();
    assertThat(limitsOnly.render()).contains("  update /x/limits.d/99-opskit-p.conf\n");

    LimitsPlan nothing =
        LimitsPlan.of(profile, LimitsObservation.builder().build(), LIMITS, SYSTEMD);
    assertThat(nothing.unitsToRestart()).containsExactly("containerd.service");
    assertThat(nothing.render())
        .contains(
            "  create /x/systemd/containerd.service.d/99-opskit-p.conf (then daemon-reload and restart containerd.service)\n");
  }

  @Test
  void limitsAboveNrOpenBlockButUnlimitedAndUnknownCeilingsDoNot() {
    LimitsObservation small = LimitsObservation.builder().nrOpen(1024).build();

    assertThat(LimitsPlan.of(profile("1025", "1024:2048"), small, LIMITS, SYSTEMD).blocked())
        .containsExactly(
            "'* - nofile 1025' is above fs.nr_open 1024: the kernel refuses it, so new login sessions would fail",
            "LimitNOFILE=1024:2048 for containerd.service is above fs.nr_open 1024: the service would fail to start");
    assertThat(LimitsPlan.of(profile("1024", "1024"), small, LIMITS, SYSTEMD).blocked()).isEmpty();
    assertThat(LimitsPlan.of(profile("unlimited", "infinity"), small, LIMITS, SYSTEMD).blocked())
        .isEmpty();
    assertThat(LimitsPlan.of(profile("-1", "1024"), small, LIMITS, SYSTEMD).blocked()).isEmpty();
    assertThat(
            LimitsPlan.of(
                    profile("99999999", "99999999"),
                    LimitsObservation.builder().build(),
                    LIMITS,
                    SYSTEMD)
                .blocked())
        .isEmpty();
    LimitsPlan blocked = LimitsPlan.of(profile("2048", "1024"), small, LIMITS, SYSTEMD);
    assertThat(blocked.isEmpty()).isFalse();
    assertThat(blocked.render()).contains("  blocked: '* - nofile 2048' is above fs.nr_open 1024");
  }
}
