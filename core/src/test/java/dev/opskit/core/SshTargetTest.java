package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SshTargetTest {

  @ParameterizedTest
  @CsvSource({
    "ssh://ops@node-1.example.com:2222, ops, node-1.example.com, 2222",
    "ops@node-1.example.com:2222, ops, node-1.example.com, 2222",
    "ops@10.0.0.5, ops, 10.0.0.5, 22",
    "SSH://root@host, root, host, 22",
    "ops@[fd00:198:18::5], ops, fd00:198:18::5, 22",
    "ssh://ops@[2001:db8::1]:65535, ops, 2001:db8::1, 65535",
    "ops@[fe80::1%eth0], ops, fe80::1%eth0, 22",
    "svc_ops.1@my_host.local., svc_ops.1, my_host.local., 22",
    "machine$@host:1, machine$, host, 1",
  })
  void parsesTheAcceptedForms(String text, String user, String host, int port) {
    SshTarget target = SshTarget.parse(text);
    assertThat(target.user()).isEqualTo(user);
    assertThat(target.host()).isEqualTo(host);
    assertThat(target.port()).isEqualTo(port);
    assertThat(SshTarget.parse(target.toString())).isEqualTo(target);
  }

  @Test
  void printsAsAUriWithIpv6InBrackets() {
    assertThat(SshTarget.parse("ops@[fd00::5]").toString()).isEqualTo("ssh://ops@[fd00::5]:22");
    assertThat(SshTarget.parse("ops@[fd00::5]").isIpv6()).isTrue();
    assertThat(SshTarget.of("ops", "h").toString()).isEqualTo("ssh://ops@h:22");
    assertThat(SshTarget.of("ops", "fd00::5", 2).hostForUri()).isEqualTo("[fd00::5]");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|must have the form",
        "host|must have the form",
        "ssh://host:22|must have the form",
        "@host|user ''",
        "-oProxyCommand=x@host|user '-oProxyCommand=x'",
        "a b@host|user 'a b'",
        "ops@|host must not be empty",
        "ops@-host|host '-host'",
        "ops@host-|host 'host-'",
        "ops@ho st|host 'ho st'",
        "ops@a..b|host 'a..b'",
        "ops@host:0|port 0",
        "ops@host:65536|port 65536",
        "ops@host:x|port 'x'",
        "ops@host:|port ''",
        "ops@host:22/|port '22/'",
        "ops@fd00::1|IPv6 address in brackets",
        "ops@[fd00::1|without a closing",
        "ops@[fd00::1]22|after the bracketed address",
        "ops@[host]|not an IPv6 address",
        "ops@[fd00:::1:zz]|not a valid IPv6 address",
        "ops@[fe80::1%]|not a valid IPv6 address",
        "ops@[fe80::1%a b]|not a valid IPv6 address",
        "ops@[1.2.3.4%eth0]|not an IPv6 address",
        "a@b@c|host 'b@c'",
      })
  void rejectsBadValuesNamingThem(String text, String message) {
    assertThatThrownBy(() -> SshTarget.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining(message);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65536})
  void builderValidatesThePort(int port) {
    assertThatThrownBy(() -> SshTarget.of("ops", "host", port))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port " + port);
  }

  @Test
  void rejectsNullAndOverlongHostNames() {
    assertThatThrownBy(() -> SshTarget.parse(null)).isInstanceOf(IllegalArgumentException.class);
    String label = "a".repeat(64);
    assertThatThrownBy(() -> SshTarget.of("ops", label))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(label);
    assertThat(SshTarget.of("ops", "a".repeat(63)).host()).hasSize(63);
  }
}
