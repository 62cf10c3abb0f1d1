package dev.opskit.core.internal.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PidReportFilterTest {
  private static final String TOKEN = "0123456789abcdef";

  @Test
  void takesOutTheReportAndPassesEverythingElseWhateverTheChunking() throws Exception {
    String stderr =
        "login banner\nopskit-pid:0123456789abcdef\nopskit-pid:0123456789abcdef:42\n"
            + "err one\nopskit-pid:0123456789abcdef:7\nlast without newline";
    String expected =
        "login banner\nopskit-pid:0123456789abcdef\nerr one\nopskit-pid:0123456789abcdef:7\n"
            + "last without newline";
    byte[] bytes = stderr.getBytes(StandardCharsets.UTF_8);
    Random random = new Random(3);
    for (int round = 0; round < 200; round++) {
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      PidReportFilter filter = new PidReportFilter(sink, TOKEN);
      int i = 0;
      while (i < bytes.length) {
        int n = Math.min(bytes.length - i, 1 + random.nextInt(round % 2 == 0 ? 3 : 40));
        filter.write(bytes, i, n);
        i += n;
      }
      filter.finish();
      assertThat(filter.pid()).hasValue(42);
      assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    }
  }

  @Test
  void otherTokensAndLinesThatOnlyLookLikeAReportPassThrough() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PidReportFilter filter = new PidReportFilter(sink, TOKEN);
    String text =
        "opskit-pid:ffffffffffffffff:1\nxopskit-pid:0123456789abcdef:2\n"
            + "opskit-pid:0123456789abcdef:3x\nopskit-pid:0123456789abcdef:\n";
    filter.write(text.getBytes(StandardCharsets.UTF_8));
    filter.finish();
    assertThat(filter.pid()).isEmpty();
    assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo(text);
  }

  @Test
  void holdsBackOnlyTheStartOfALine() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PidReportFilter filter = new PidReportFilter(sink, TOKEN);
    filter.write("opskit-pid:0123".getBytes(StandardCharsets.UTF_8));
    assertThat(sink.size()).isZero();
    filter.write("Z".getBytes(StandardCharsets.UTF_8));
    assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("opskit-pid:0123Z");
    byte[] big = new byte[1 << 20];
    filter.write(big);
    assertThat(sink.size()).isEqualTo(16 + big.length);
  }
}
