package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CalicoAutodetectionMethodTest {

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = ';',
      value = {
        "first-found ; FIRST_FOUND ; 0",
        "kubernetes-internal-ip ; KUBERNETES_INTERNAL_IP ; 0",
        "can-reach=198.18.0.1 ; CAN_REACH ; 1",
        "can-reach=2001:db8::1 ; CAN_REACH ; 1",
        "can-reach=www.example.com ; CAN_REACH ; 1",
        "can-reach=gateway ; CAN_REACH ; 1",
        "interface=eth0 ; INTERFACE ; 1",
        "interface=eth0|en0|en2 ; INTERFACE ; 1",
        "interface=^eth0$,^en[0-9]+$ ; INTERFACE ; 2",
        "skip-interface=^docker.*,^cali.* ; SKIP_INTERFACE ; 2",
        "cidr=10.0.0.0/8 ; CIDR ; 1",
        "cidr=198.18.0.0/15,fd00:198:18::/64 ; CIDR ; 2",
        "cidr=198.18.0.1/32 ; CIDR ; 1",
      })
  void parsesEveryValidForm(String text, CalicoAutodetectionMethod.Kind kind, int arguments) {
    CalicoAutodetectionMethod method = CalicoAutodetectionMethod.parse(text);
    assertThat(method.kind()).isEqualTo(kind);
    assertThat(method.arguments()).hasSize(arguments);
    assertThat(method.text()).isEqualTo(text);
    assertThat(CalicoAutodetectionMethod.parse(method.text())).isEqualTo(method);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | is not one of",
        "firstfound | is not one of",
        "First-Found | is not one of",
        "first-found=x | takes no '=' argument",
        "kubernetes-internal-ip=1 | takes no '=' argument",
        "can-reach | needs '=' and a value",
        "can-reach= | not an IP address or DNS name",
        "can-reach=198.18.0.1,198.18.0.2 | not an IP address or DNS name",
        "can-reach=300.1.1.1 | not an IP address or DNS name",
        "can-reach=-bad-.example.com | not an IP address or DNS name",
        "can-reach=a_b.example.com | not an IP address or DNS name",
        "interface | needs '=' and a value",
        "interface= | is empty or holds a comma",
        "interface=eth0, | is empty or holds a comma",
        "interface=eth[0 | is not valid in Go's RE2 syntax",
        "skip-interface=(docker | is not valid in Go's RE2 syntax",
        "interface=^(?!docker).*$ | uses a lookahead '(?!…)'",
        "interface=^(?=en).*$ | uses a lookahead '(?=…)'",
        "interface=(?<!v)eth0 | uses a lookbehind '(?<!…)'",
        "skip-interface=^veth.*+$ | uses a possessive quantifier '*+'",
        "interface=^en[0-9]++$ | uses a possessive quantifier '++'",
        "interface=^(e)th\\1$ | uses a backreference '\\1'",
        "interface=(?>eth)0 | uses an atomic group",
        "interface=^eth0\\Z | is not valid in Go's RE2 syntax",
        "interface= eth0 | starts or ends with a space",
        "skip-interface=a,,b | is empty or holds a comma",
        "cidr=10.0.0.0 | needs a prefix length",
        "cidr=10.0.0.0/33 | prefix length outside 0..32",
        "cidr=fd00::/129 | prefix length outside 0..128",
        "cidr=10.0.0.0/x | prefix length outside",
        "cidr=host.example/24 | does not start with an IP address",
        "cidr= | needs a prefix length",
      })
  void rejectsInvalidForms(String text, String rule) {
    assertThatThrownBy(() -> CalicoAutodetectionMethod.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(rule);
  }

  @Test
  void listsSplitOnCommasWithSpacesAsCalicoDoes() {
    // calico-node splits on a comma with any spaces around it
    assertThat(CalicoAutodetectionMethod.parse("interface=^eth0$ , ^en0$").arguments())
        .containsExactly("^eth0$", "^en0$");
    assertThat(CalicoAutodetectionMethod.parse("cidr=198.18.0.0/16, 198.19.0.0/16").text())
        .isEqualTo("cidr=198.18.0.0/16,198.19.0.0/16");
  }

  @Test
  void controlCharactersAndOverlongValuesAreRefused() {
    assertThatThrownBy(() -> CalicoAutodetectionMethod.parse("interface=eth0\nX"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control character U+000A at index 14")
        .hasMessageContaining("interface=eth0?X");
    assertThatThrownBy(() -> CalicoAutodetectionMethod.parse("first-found\n"))
        .hasMessageContaining("U+000A");
    assertThatThrownBy(() -> CalicoAutodetectionMethod.interfaces("eth\t0"))
        .hasMessageContaining("U+0009");
    String huge = "interface=^(" + "e".repeat(100_000) + ")$";
    assertThatThrownBy(() -> CalicoAutodetectionMethod.parse(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("100014 characters long, over the limit of 1024");
    assertThatThrownBy(() -> CalicoAutodetectionMethod.interfaces("e".repeat(1100)))
        .hasMessageContaining("over the limit of 1024");
    String atLimit = "interface=" + "e".repeat(1024 - "interface=".length());
    assertThat(CalicoAutodetectionMethod.parse(atLimit).text()).isEqualTo(atLimit);
  }

  @Test
  void re2ConstructsCalicoAcceptsStillPass() {
    // RE2 has these; refusing them would refuse working manifests
    for (String regex :
        new String[] {
          "^(?i)ETH[0-9]+$", "^[[:alpha:]]+0$", "^\\Qeth0.1\\E$", "^(?P<n>en)s[0-9]$"
        }) {
      assertThat(CalicoAutodetectionMethod.interfaces(regex).arguments()).containsExactly(regex);
    }
  }

  @Test
  void factoriesValidateToo() {
    assertThat(CalicoAutodetectionMethod.interfaces("^eth0$", "^en[0-9]+$").text())
        .isEqualTo("interface=^eth0$,^en[0-9]+$");
    assertThat(CalicoAutodetectionMethod.canReach("198.18.0.1").text())
        .isEqualTo("can-reach=198.18.0.1");
    assertThatThrownBy(CalicoAutodetectionMethod::interfaces)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs at least one regex");
    assertThatThrownBy(() -> CalicoAutodetectionMethod.interfaces("a,b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holds a comma");
    assertThatThrownBy(() -> CalicoAutodetectionMethod.cidrs())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs at least one CIDR");
  }

  @Test
  void warnsAboutUnanchoredInterfaceRegexes() {
    CalicoAutodetectionMethod seed = CalicoAutodetectionMethod.parse("interface=eth0|en0|en2");
    assertThat(seed.warnings())
        .singleElement()
        .asString()
        .contains("'eth0|en0|en2' is not anchored")
        .contains("eth0.100")
        .contains("'^(eth0|en0|en2)$'");
    // the warning is true: Calico's unanchored match picks these too
    assertThat(java.util.regex.Pattern.compile("eth0|en0|en2").matcher("veth0abc").find()).isTrue();
    assertThat(CalicoAutodetectionMethod.parse("skip-interface=^cali.*,docker0").warnings())
        .hasSize(2);
    assertThat(CalicoAutodetectionMethod.parse("interface=^eth0$,^en[0-9]+$").warnings()).isEmpty();
    assertThat(CalicoAutodetectionMethod.parse("cidr=198.18.0.1/15").warnings())
        .singleElement()
        .asString()
        .contains("host bits");
    assertThat(CalicoAutodetectionMethod.parse("cidr=198.18.0.0/15").warnings()).isEmpty();
  }

  @Test
  void familyMismatchIsRejectedBySpec() {
    ApiClient client = new ApiClient();
    assertThatThrownBy(
            () ->
                CalicoAutodetection.builder(client)
                    .ipv4(CalicoAutodetectionMethod.cidrs("fd00:198:18::/64"))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names an IPv6 address");
    assertThatThrownBy(
            () ->
                CalicoAutodetection.builder(client)
                    .ipv6(CalicoAutodetectionMethod.canReach("198.18.0.1"))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names an IPv4 address");
    assertThatThrownBy(() -> CalicoAutodetection.builder(client).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set an ipv4 or an ipv6");
  }
}
