package dev.opskit.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralsTest {

  @ParameterizedTest
  @CsvSource({
    "0.0.0.0, 0.0.0.0",
    "198.18.0.1, 198.18.0.1",
    "255.255.255.255, 255.255.255.255",
    "::, ::",
    "::1, ::1",
    "2001:DB8::1, 2001:db8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // the first of two equal runs
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // one zero group is never ::
    "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
    "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:198.18.0.1, 1:2:3:4:5:6:c612:1",
    "::198.18.0.1, ::c612:1",
    "64:ff9b::198.18.0.1, 64:ff9b::c612:1",
  })
  void literalsAndTheirCanonicalText(String text, String canonical) {
    assertThat(IpLiterals.isLiteral(text)).isTrue();
    assertThat(IpLiterals.toText(IpLiterals.forString(text))).isEqualTo(canonical);
  }

  @Test
  void familiesFollowTheBytes() {
    assertThat(IpLiterals.forString("198.18.0.1")).isInstanceOf(Inet4Address.class);
    assertThat(IpLiterals.forString("2001:db8::")).isInstanceOf(Inet6Address.class);
    // an IPv4-mapped literal is the IPv4 address, as InetAddress itself has it
    assertThat(IpLiterals.forString("::ffff:198.18.0.1"))
        .isInstanceOf(Inet4Address.class)
        .hasToString("/198.18.0.1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.",
        ".1.2.3",
        "1..2.3",
        "256.1.1.1",
        "01.2.3.4", // leading zeros: octal for some tools, decimal for others
        "1.2.3.04",
        "0x1.2.3.4",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.4\n",
        "1.2.3.-4",
        "+1.2.3.4",
        "1.2.3.4/32",
        "\u0661.\u0662.\u0663.\u0664", // Arabic-Indic digits are digits to Character.isDigit
        "\uff11.2.3.4", // a full-width one
        "1234",
        "localhost",
        "example.com", // never looked up
        ":",
        ":::",
        "1::2::3",
        ":1::",
        "1::2:",
        ":1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4::5:6:7:8",
        "12345::",
        "g::1",
        "::1%eth0", // zone ids are refused
        "fe80::1%1",
        "[::1]",
        "::1.2.3",
        "1.2.3.4::",
        "::1.2.3.4:5",
        "1:2:3:4:5:6:7:1.2.3.4",
        "::256.1.1.1",
        "::ffff:01.2.3.4",
        "\uff10::",
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x",
      })
  void refusesEverythingElse(String text) {
    assertThat(IpLiterals.isLiteral(text)).as("'%s'", text).isFalse();
    assertThat(IpLiterals.parse(text)).isEmpty();
    assertThatThrownBy(() -> IpLiterals.forString(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an IPv4 or IPv6 address literal");
  }

  @Test
  void longInputIsRefusedWithoutScanningIt() {
    assertThat(IpLiterals.isLiteral("1".repeat(1_000_000))).isFalse();
    assertThat(IpLiterals.isLiteral(":".repeat(1_000_000))).isFalse();
  }

  /**
   * Agrees with Guava's parser (which opskit used before) on random strings of address characters.
   */
  @Test
  void agreesWithGuavaOnRandomText() throws Exception {
    String alphabet = "0123456789abcdefABCDEF:::...";
    Random random = new Random(20_26);
    int literals = 0;
    for (int i = 0; i < 200_000; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(24);
      for (int c = 0; c < length; c++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = text.toString();
      boolean ours = IpLiterals.isLiteral(s);
      assertThat(ours).as("'%s'", s).isEqualTo(InetAddresses.isInetAddress(s));
      if (ours) {
        literals++;
        InetAddress guava = InetAddresses.forString(s);
        assertThat(IpLiterals.forString(s)).as("'%s'", s).isEqualTo(guava);
        assertThat(IpLiterals.toText(guava))
            .as("'%s'", s)
            .isEqualTo(InetAddresses.toAddrString(guava));
      }
    }
    assertThat(literals).isGreaterThan(100);
  }
}
