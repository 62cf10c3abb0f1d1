package dev.opskit.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Renders {@code opskit --help} with picocli into a resource next to {@link OpskitCli}, which
 * prints it from there without building picocli's model of every command. The build runs it on its
 * compiled classes: {@code java -cp CLASSPATH dev.opskit.examples.cli.UsageText CLASSES_DIR}.
 */
public final class UsageText {
  private UsageText() {}

  /** Writes the help under {@code args[0]}, the classes directory, in this class's package. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: UsageText CLASSES_DIR");
    }
    Path dir = Path.of(args[0]).resolve(OpskitCli.class.getPackageName().replace('.', '/'));
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(OpskitCli.HELP_RESOURCE),
        OpskitCli.usage().replace(System.lineSeparator(), "\n"),
        StandardCharsets.UTF_8);
  }
}
