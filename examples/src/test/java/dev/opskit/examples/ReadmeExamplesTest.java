package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/** Runs the README's examples that need neither root nor a network namespace, as written. */
@ResourceLock(Resources.SYSTEM_OUT)
class ReadmeExamplesTest {

  @Test
  void coreExampleRunsCommandsAndTimesOut() throws Exception {
    assertThat(printed(() -> CoreExample.main(new String[0])))
        .startsWith("kernel ")
        .endsWith("timed out: true\n");
  }

  @Test
  void sysctlExamplePrintsTheDriftOfThisHost() throws Exception {
    assertThat(printed(() -> SysctlExample.main(new String[0])))
        .contains("fs.inotify.max_user_watches");
  }

  @Test
  void clusterExampleReportsAndListsFindings() throws Exception {
    assertThat(printed(() -> ClusterExample.main(new String[0]))).isNotBlank();
  }

  interface Example {
    void run() throws Exception;
  }

  /** What {@code example} printed on System.out. */
  static String printed(Example example) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      example.run();
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
