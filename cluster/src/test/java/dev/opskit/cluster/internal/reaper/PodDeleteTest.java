package dev.opskit.cluster.internal.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.internal.json.TolerantJson;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PodDeleteTest {

  @Test
  void bodyIsDeleteOptionsWithTheUidPrecondition() {
    String uid = "0b3c5e2a-7d41-4c1e-9f0a-2b6d8e4f1a3c";
    String json = new String(PodDelete.body(uid), StandardCharsets.UTF_8);
    assertThat(json)
        .isEqualTo(
            "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"preconditions\":{\"uid\":\""
                + uid
                + "\"}}");
    V1DeleteOptions options = TolerantJson.parse(json, V1DeleteOptions.class);
    assertThat(options.getKind()).isEqualTo("DeleteOptions");
    assertThat(options.getPreconditions().getUid()).isEqualTo(uid);
  }

  @Test
  void aUidThatIsNotPlainTextStillRoundTrips() {
    // UIDs are UUIDs on a real server, but the body must stay valid JSON whatever a server says.
    String uid = "a\"b\\c\nd\u0001é";
    String json = new String(PodDelete.body(uid), StandardCharsets.UTF_8);
    V1DeleteOptions options = TolerantJson.parse(json, V1DeleteOptions.class);
    assertThat(options.getPreconditions().getUid()).isEqualTo(uid);
  }
}
