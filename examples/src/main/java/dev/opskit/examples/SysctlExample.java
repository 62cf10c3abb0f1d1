package dev.opskit.examples;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.LocalExecutor;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlApplyResult;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlProfile;
import java.io.IOException;

/**
 * Compares this machine with the notes' node tuning and, with {@code --apply DIR}, writes the
 * drop-in into DIR (a temp folder for a safe try) and loads it. The marked part is quoted in the
 * README.
 */
public final class SysctlExample {
  private SysctlExample() {}

  /** Prints the drift; applies only when asked. */
  public static void main(String[] args) throws IOException, InterruptedException {
    // [readme]
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("inotify")
            .setRaiseOnly("fs.file-max", 2097152) // never lowers a larger value
            .set("fs.inotify.max_user_watches", "524288")
            .set("fs.inotify.max_user_instances", "512")
            .build();

    CommandExecutor host = LocalExecutor.create(); // or SSH, sudo, a network namespace
    SysctlApplier sysctl = SysctlApplier.on(host); // /etc/sysctl.d/99-opskit-inotify.conf
    for (SysctlDrift drift : sysctl.drift(profile)) { // one command reads every key
      System.out.println(drift.render());
    }
    // [/readme]
    if (args.length == 2 && args[0].equals("--apply")) {
      SysctlApplyResult result = sysctl.withDropInDirectory(args[1]).apply(profile);
      System.out.print(result.plan().render());
    }
  }
}
