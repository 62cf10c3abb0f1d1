package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.LocalExecutor;
import dev.opskit.sysctl.internal.Scripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real configuration-listing script, run by a local shell over temporary folders. */
class ConfigurationReadIT {
  @TempDir Path root;

  @Test
  void listsConfFilesWithExactContentAndMaskedFilesAsEmpty() throws Exception {
    Path etc = Files.createDirectories(root.resolve("etc"));
    Path lib = Files.createDirectories(root.resolve("lib"));
    Files.writeString(lib.resolve("50-default.conf"), "fs.file-max = 9223372036854775807\n");
    Files.writeString(lib.resolve("60-masked.conf"), "kernel.pid_max = 4194304\n");
    Files.writeString(lib.resolve("README"), "not a conf file\n");
    Files.writeString(etc.resolve("99-opskit-node.conf"), "fs.file-max = 2097152\n\n");
    Files.writeString(etc.resolve(".99-opskit-node.conf.ab12cd"), "fs.file-max = 1\n");
    Files.createSymbolicLink(etc.resolve("60-masked.conf"), Path.of("/dev/null"));

    Map<String, String> texts =
        Scripts.parseConfiguration(
            LocalExecutor.create()
                .execute(
                    Scripts.readConfiguration(
                        List.of(
                            etc.toString(), root.resolve("missing").toString(), lib.toString())))
                .requireSuccess()
                .stdout());
    texts.remove("/etc/sysctl.conf");

    assertThat(texts)
        .containsOnlyKeys(
            etc + "/60-masked.conf",
            etc + "/99-opskit-node.conf",
            lib + "/50-default.conf",
            lib + "/60-masked.conf");
    assertThat(texts.get(etc + "/99-opskit-node.conf")).isEqualTo("fs.file-max = 2097152\n\n");
    assertThat(texts.get(etc + "/60-masked.conf")).isEmpty();

    List<SysctlFile> files = new ArrayList<>();
    texts.forEach((path, text) -> files.add(SysctlFile.parse(path, text)));
    SysctlEffective effective = SysctlEffective.of(files);
    assertThat(effective.winner(SysctlKey.of("fs.file-max")).map(SysctlSource::value))
        .hasValue("2097152");
    assertThat(effective.winner(SysctlKey.of("kernel.pid_max"))).isEmpty();
  }
}
