package com.example.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.cfg.PackageVersion;
import org.junit.jupiter.api.Test;

/** Importing opskit-bom left this project's own library versions alone. */
class OwnVersionsTest {

  @Test
  void jacksonIsTheVersionThisProjectPinned() {
    assertThat(PackageVersion.VERSION.toString()).isEqualTo(System.getProperty("expected.jackson"));
  }

  @Test
  void junitIsTheVersionThisProjectPinned() {
    assertThat(Test.class.getPackage().getImplementationVersion())
        .isEqualTo(System.getProperty("expected.junit"));
  }

  @Test
  void opskitBringsNeitherGuavaNorACommonsLoggingBridge() {
    assertThatThrownBy(() -> Class.forName("com.google.common.net.InetAddresses"))
        .isInstanceOf(ClassNotFoundException.class);
    assertThatThrownBy(() -> Class.forName("org.apache.commons.logging.LogFactory"))
        .isInstanceOf(ClassNotFoundException.class);
  }
}
