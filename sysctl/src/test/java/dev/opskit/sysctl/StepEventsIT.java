package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.CommandFailedException;
import dev.opskit.core.ExecutionListener;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.StepRecord;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sysctl and limits appliers report their logical steps (file writes, {@code sysctl -p}, the
 * rename into place) to an {@link ExecutionListener} with exit status and duration, never a file's
 * content; a failing write included.
 */
@Privileged(tools = {"ip", "sysctl"})
class StepEventsIT {
  private static final SysctlProfile PROFILE =
      SysctlProfile.builder().name("audited").set("net.core.somaxconn", "8191").build();

  @TempDir Path dir;

  private final List<StepRecord> steps = new CopyOnWriteArrayList<>();

  private CommandExecutor audited(CommandExecutor executor) {
    return executor.withListener(
        new ExecutionListener() {
          @Override
          public void stepFinished(StepRecord step) {
            steps.add(step);
          }
        });
  }

  @Test
  void aSysctlApplyReportsTheWriteTheReloadAndTheRename() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("steps");
      SysctlApplier applier =
          SysctlApplier.on(audited(net.executor(ns))).withDropInDirectory(dir.toString());

      applier.apply(PROFILE);

      String staged = dir.resolve(".99-opskit-audited.conf.new").toString();
      String target = dir.resolve("99-opskit-audited.conf").toString();
      assertThat(steps)
          .extracting(StepRecord::argv)
          .containsExactly(
              List.of("write", staged),
              List.of("sysctl", "-e", "-p", staged),
              List.of("mv", staged, target));
      assertThat(steps).allMatch(s -> s.isSuccess() && s.duration().isPresent());
      assertThat(steps.stream().map(StepRecord::toString)).noneMatch(s -> s.contains("8191"));
    }
  }

  @Test
  void aFailingLimitsWriteIsReportedWithItsExitStatus() throws Exception {
    Path notAFolder = Files.writeString(dir.resolve("limits.d"), "a file");
    LimitsApplier applier =
        LimitsApplier.on(audited(LocalExecutor.create()))
            .withLimitsDirectory(notAFolder.toString())
            .withSystemdDirectory(dir.resolve("systemd").toString());
    LimitsProfile profile =
        LimitsProfile.builder()
            .name("audited")
            .addEntries(
                LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "65536"))
            .build();

    assertThatThrownBy(() -> applier.apply(profile)).isInstanceOf(CommandFailedException.class);

    assertThat(steps).hasSize(1);
    StepRecord failed = steps.get(0);
    assertThat(failed.argv())
        .containsExactly("write", notAFolder.resolve("99-opskit-audited.conf").toString());
    assertThat(failed.isSuccess()).isFalse();
    assertThat(failed.exitCode()).isPresent();
    assertThat(failed.duration()).isPresent();
  }
}
