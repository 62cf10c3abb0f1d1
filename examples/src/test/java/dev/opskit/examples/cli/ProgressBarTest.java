package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.ReapOutcome;
import dev.opskit.cluster.ReapedPod;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  @Test
  void rendersABarWhenTheTotalIsKnownAndACountOtherwise() {
    assertThat(ProgressBar.render("pods", 6, 24))
        .isEqualTo("[######------------------] 25% pods 6/24");
    assertThat(ProgressBar.render("pods", 30, 24)).startsWith("[" + "#".repeat(24) + "] 100%");
    assertThat(ProgressBar.render("containers listed", 1234, 0))
        .isEqualTo("containers listed: 1234");
  }

  @Test
  void disabledBarWritesNothing() {
    StringWriter err = new StringWriter();
    try (ProgressBar bar = new ProgressBar(new PrintWriter(err), false, System::nanoTime)) {
      bar.update("pods", 1, 2);
      bar.update("pods", 2, 2);
    }
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void enabledBarRedrawsInPlaceAtMostTenTimesASecondAndClearsOnClose() {
    StringWriter err = new StringWriter();
    AtomicLong now = new AtomicLong();
    try (ProgressBar bar = new ProgressBar(new PrintWriter(err), true, now::get)) {
      bar.update("pods", 1, 10);
      now.addAndGet(1_000_000L);
      bar.update("pods", 2, 10); // too soon: skipped
      now.addAndGet(200_000_000L);
      bar.update("pods", 3, 10);
      bar.update("pods", 10, 10); // complete: always drawn
    }
    String text = err.toString();
    assertThat(text.split("\r", -1))
        .filteredOn(s -> s.startsWith("["))
        .extracting(s -> s.replaceAll(" +$", ""))
        .containsExactly(
            ProgressBar.render("pods", 1, 10),
            ProgressBar.render("pods", 3, 10),
            ProgressBar.render("pods", 10, 10));
    assertThat(text).endsWith("\r").doesNotContain("\n");
  }

  @Test
  void reaperProgressShowsPodsDecidedOutOfPodsListed() {
    StringWriter err = new StringWriter();
    AtomicLong now = new AtomicLong();
    try (ProgressBar bar = new ProgressBar(new PrintWriter(err), true, now::get)) {
      PodsCommand.ReapProgress progress = new PodsCommand.ReapProgress(bar);
      progress.pageListed(1, 2);
      for (int i = 0; i < 2; i++) {
        now.addAndGet(200_000_000L);
        progress.podDone(
            new ReapedPod(
                "ns",
                "pod-" + i,
                "uid-" + i,
                "node-a",
                "Failed",
                "Evicted",
                Optional.empty(),
                ReapOutcome.WOULD_DELETE,
                ""));
      }
    }
    assertThat(err.toString())
        .contains(ProgressBar.render("pods (page 1)", 0, 2))
        .contains(ProgressBar.render("pods", 1, 2))
        .contains(ProgressBar.render("pods", 2, 2));
  }
}
