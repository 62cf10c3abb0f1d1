package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.sysctl.internal.Scripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real atomic-write script, run by a local shell into a temporary folder. */
class DropInWriteIT {
  private static final String OLD = "# old\nfs.file-max = 1000\n";

  @TempDir Path dir;
  @TempDir Path fakeBin;

  private final CommandExecutor local = LocalExecutor.create();

  @Test
  void writesContentWithMode0644AndRoundTrips() throws Exception {
    SysctlProfile profile = SysctlProfile.kubernetesNode();
    String content = profile.render();
    Files.writeString(dir.resolve(profile.fileName()), OLD);
    Files.setPosixFilePermissions(
        dir.resolve(profile.fileName()), PosixFilePermissions.fromString("rw-------"));

    local.execute(Scripts.writeAtomically(dir + "/", profile.fileName(), content)).requireSuccess();

    Path file = dir.resolve(profile.fileName());
    assertThat(Files.readString(file)).isEqualTo(content);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r--r--");
    assertThat(
            SysctlProfile.fromFile(profile.name(), SysctlFile.parse(file.toString(), content))
                .values())
        .isEqualTo(profile.values());
    assertOnlyTarget(file);
  }

  @Test
  void hostileLookingContentIsWrittenVerbatim() throws Exception {
    String content = "a.b = $(touch " + dir.resolve("pwned") + ") `id` ' \" \\ ; |\n";
    local
        .execute(Scripts.writeAtomically(dir.toString(), "99-opskit-x.conf", content))
        .requireSuccess();
    assertThat(Files.readString(dir.resolve("99-opskit-x.conf"))).isEqualTo(content);
    assertThat(dir.resolve("pwned")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "#!/bin/sh\nhead -c 7\nexit 1\n", // cat: a partial copy, then failure
        "#!/bin/sh\nexit 1\n" // chmod or mv: fail after the temp file is complete
      })
  void failureLeavesTheOldFileAndNoTempFile(String fakeProgram) throws Exception {
    Path target = dir.resolve("99-opskit-node.conf");
    Files.writeString(target, OLD);
    for (String program : new String[] {"cat", "chmod", "mv"}) {
      if (fakeProgram.contains("head") != program.equals("cat")) {
        continue;
      }
      Path fake = fakeBin.resolve(program);
      Files.writeString(fake, fakeProgram);
      fake.toFile().setExecutable(true);
    }
    CommandExecutor broken =
        command ->
            local.execute(
                Command.builder()
                    .from(command)
                    .putEnv("PATH", fakeBin + ":" + System.getenv("PATH"))
                    .build());
    String content = SysctlProfile.kubernetesNode().render();

    ExecResult result =
        broken.execute(
            Scripts.writeAtomically(dir.toString(), target.getFileName().toString(), content));

    assertThat(result.isSuccess()).isFalse();
    assertThat(Files.readString(target)).isEqualTo(OLD);
    assertOnlyTarget(target);
  }

  @Test
  void targetThatIsADirectoryIsRefusedNotWrittenInto() throws Exception {
    Files.createDirectory(dir.resolve("99-opskit-x.conf"));
    ExecResult result =
        local.execute(Scripts.writeAtomically(dir.toString(), "99-opskit-x.conf", "a.b = 1\n"));
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.stderrUtf8()).contains("is a directory");
    try (Stream<Path> inside = Files.list(dir.resolve("99-opskit-x.conf"))) {
      assertThat(inside).isEmpty();
    }
  }

  private void assertOnlyTarget(Path target) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }
}
