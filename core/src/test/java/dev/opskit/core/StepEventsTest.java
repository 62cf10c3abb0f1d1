package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Steps an applier reports reach the listeners through every decorator, without any input. */
class StepEventsTest {
  private static final Command BATCH =
      Command.of("sh", "-c", "script", "sh").withStdin("secret input");

  private static StepRecord restore(int exit) {
    return StepRecord.of(
        BATCH,
        List.of("iptables-restore", "--noflush", "-w"),
        OptionalInt.of(exit),
        Duration.ofMillis(40));
  }

  @Test
  void listenersBelowAndAboveDecoratorsHearEachStepOnce() {
    List<String> inner = new ArrayList<>();
    List<String> outer = new ArrayList<>();
    CommandExecutor executor =
        FakeCommandExecutor.create()
            .withListener(recorder(inner))
            .inNetworkNamespace("lab")
            .withSudo()
            .withListener(recorder(outer));

    executor.reportSteps(List.of(restore(0), restore(1)));

    assertThat(inner)
        .containsExactly(
            "iptables-restore --noflush -w: exit 0, 40 ms",
            "iptables-restore --noflush -w: exit 1, 40 ms");
    assertThat(outer).isEqualTo(inner);
  }

  @Test
  void anExecutorWithoutListenersIgnoresSteps() {
    CommandExecutor lambda = command -> ExecResult.of(command, 0, "", "", Duration.ZERO);
    lambda.reportSteps(List.of(restore(0)));
    LocalExecutor.create().reportSteps(List.of(restore(0)));
  }

  @Test
  void aStepKeepsNoStandardInput() {
    StepRecord step = restore(0);
    assertThat(step.batch().stdin()).isEmpty();
    assertThat(step.batch().argv()).isEqualTo(BATCH.argv());
    assertThat(step.toString()).doesNotContain("secret");
    assertThat(step.isSuccess()).isTrue();
    assertThat(restore(2).isSuccess()).isFalse();
  }

  @Test
  void anUnmeasuredStepHasNoDurationAndAnUnknownExitIsNoSuccess() {
    StepRecord step = StepRecord.of(BATCH, List.of("true"), OptionalInt.empty(), null);
    assertThat(step.duration()).isEmpty();
    assertThat(step.isSuccess()).isFalse();
    assertThat(step.toString()).isEqualTo("true: exit unknown");
  }

  @Test
  void refusesAnEmptyArgvAndANegativeDuration() {
    assertThatThrownBy(() -> StepRecord.of(BATCH, List.of(), OptionalInt.of(0), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argv");
    assertThatThrownBy(
            () -> StepRecord.of(BATCH, List.of("x"), OptionalInt.of(0), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-0.001S");
  }

  private static ExecutionListener recorder(List<String> seen) {
    return new ExecutionListener() {
      @Override
      public void stepFinished(StepRecord step) {
        seen.add(step.toString());
      }
    };
  }
}
