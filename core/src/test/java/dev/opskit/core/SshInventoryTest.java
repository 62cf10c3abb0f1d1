package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Parsing of SSH inventories (no connection is opened: executors connect on first use). */
class SshInventoryTest {
  private static final Function<SshTarget, SshExecutor> TEMPLATE =
      target -> SshExecutor.builder(target).password("unused").build();

  @Test
  void readsNamesTargetsCommentsAndBlankLines() {
    String text =
        "# fleet\n"
            + "\n"
            + "node-1 ssh://ops@198.18.0.11\n"
            + "   node-2\tssh://ops@198.18.0.12:2222  \n"
            + "ssh://ops@198.18.0.13\n"
            + "ops@198.18.0.14:2200\r\n"
            + "  # indented comment\n";
    try (SshInventory inventory = SshInventory.parse(text, TEMPLATE)) {
      assertThat(inventory.targets())
          .containsExactly(
              Map.entry("node-1", SshTarget.of("ops", "198.18.0.11")),
              Map.entry("node-2", SshTarget.of("ops", "198.18.0.12", 2222)),
              Map.entry("198.18.0.13", SshTarget.of("ops", "198.18.0.13")),
              Map.entry("198.18.0.14:2200", SshTarget.of("ops", "198.18.0.14", 2200)));
      assertThat(inventory.hosts())
          .extracting(FleetHost::name)
          .containsExactly("node-1", "node-2", "198.18.0.13", "198.18.0.14:2200");
      assertThat(inventory.hosts().get(1).executor()).isInstanceOf(SshExecutor.class);
      assertThat(((SshExecutor) inventory.hosts().get(1).executor()).target().port())
          .isEqualTo(2222);
    }
  }

  @Test
  void badLinesNameTheirLineNumber() {
    assertThatThrownBy(() -> SshInventory.parse("# x\nnode-1 ops@h1\nnode-2 h2\n", TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("inventory line 3: ssh target 'h2'");
    assertThatThrownBy(() -> SshInventory.parse("a ops@h1 extra\n", TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("inventory line 1 'a ops@h1 extra' must be");
    assertThatThrownBy(() -> SshInventory.parse("ops@h1:99999\n", TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("inventory line 1");
    assertThatThrownBy(() -> SshInventory.parse("-x ops@h1\n", TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host name '-x'");
  }

  @Test
  void duplicateNamesAreRefused() {
    assertThatThrownBy(() -> SshInventory.parse("a ops@h1\nb ops@h2\na ops@h3\n", TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("inventory line 3: host name 'a' appears twice; names must be unique");
    assertThatThrownBy(() -> SshInventory.of(List.of("ops@h1", "root@h1:22"), TEMPLATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target 2: host name 'h1' appears twice; names must be unique");
  }

  @Test
  void targetListsAreNamedByHostAndPort() {
    try (SshInventory inventory =
        SshInventory.of(List.of("ssh://ops@h1", "ops@h1:2222", "ops@[2001:db8::5]"), TEMPLATE)) {
      assertThat(inventory.hosts())
          .extracting(FleetHost::name)
          .containsExactly("h1", "h1:2222", "[2001:db8::5]");
    }
  }
}
