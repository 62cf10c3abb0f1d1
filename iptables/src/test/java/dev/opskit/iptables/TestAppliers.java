package dev.opskit.iptables;

import dev.opskit.core.CommandExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * Appliers and detectors for tests on a real host: their lock, generation and journal live in a
 * temp folder.
 */
final class TestAppliers {
  private static final String STATE_DIRECTORY = stateDirectory();

  private TestAppliers() {}

  static IptablesApplier create(CommandExecutor executor) {
    return builder(executor).build();
  }

  static IptablesApplier.Builder builder(CommandExecutor executor) {
    return IptablesApplier.builder(executor).stateDirectory(STATE_DIRECTORY);
  }

  static DatapathDetector detector(CommandExecutor executor) {
    return DatapathDetector.on(executor, STATE_DIRECTORY);
  }

  private static String stateDirectory() {
    try {
      return Files.createTempDirectory("opskit-state-").toAbsolutePath().toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
