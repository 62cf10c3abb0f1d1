package dev.opskit.cluster.testing.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> WEB = Map.of("app", "web", "tier", "front");

  private static boolean selects(String selector, Map<String, String> labels) {
    return LabelSelector.parse(selector).matches(labels);
  }

  @Test
  void emptySelectsEverything() {
    assertThat(LabelSelector.parse("").isEmpty()).isTrue();
    assertThat(LabelSelector.parse(null).matches(Map.of())).isTrue();
  }

  @Test
  void equalityForms() {
    assertThat(selects("app=web", WEB)).isTrue();
    assertThat(selects("app == web", WEB)).isTrue();
    assertThat(selects("app=api", WEB)).isFalse();
    assertThat(selects("app!=api", WEB)).isTrue();
  }

  @Test
  void inequalityAndNotinHoldWhenTheLabelIsAbsent() {
    assertThat(selects("team!=ops", WEB)).isTrue();
    assertThat(selects("team notin (ops)", WEB)).isTrue();
    assertThat(selects("team in (ops)", WEB)).isFalse();
    assertThat(selects("team=", WEB)).isFalse();
  }

  @Test
  void setsExistenceAndAbsenceAllMustHold() {
    assertThat(selects("app in (api, web),tier", WEB)).isTrue();
    assertThat(selects("app in (api,web), !team", WEB)).isTrue();
    assertThat(selects("app notin (web,web)", WEB)).isFalse();
    assertThat(selects("app, !tier", WEB)).isFalse();
    assertThat(selects("example.com/owner", Map.of("example.com/owner", "x"))).isTrue();
  }

  @Test
  void malformedRequirementsAreRejectedNamingTheSelector() {
    for (String bad : new String[] {"app in (a", "app in a", "=web", "app=a b", "a,,b", "-x"}) {
      assertThatThrownBy(() -> LabelSelector.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }
}
