package dev.opskit.core.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link Privileged}: skip with a reason, or fail when privileged tests are required. */
public final class PrivilegedCondition implements ExecutionCondition {
  static final String REQUIRED_VARIABLE = "OPSKIT_PRIVILEGED_TESTS";

  private static final List<String> PATH_DIRS =
      List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<Privileged> annotation =
        context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, Privileged.class));
    if (annotation.isEmpty()) {
      return ConditionEvaluationResult.enabled("no @Privileged");
    }
    List<String> missing = new ArrayList<>();
    if (!isRoot()) {
      missing.add("root (uid 0)");
    }
    for (String tool : annotation.get().tools()) {
      if (which(tool).isEmpty()) {
        missing.add("program '" + tool + "' on the PATH");
      }
    }
    if (missing.isEmpty()) {
      return ConditionEvaluationResult.enabled("privileged requirements met");
    }
    String reason = context.getDisplayName() + " needs " + String.join(", ", missing);
    if ("required".equals(System.getenv(REQUIRED_VARIABLE))) {
      throw new ExtensionConfigurationException(
          reason + ", and " + REQUIRED_VARIABLE + "=required turns this skip into a failure");
    }
    System.err.println("SKIPPED privileged test: " + reason);
    return ConditionEvaluationResult.disabled(reason);
  }

  /** The absolute path of a program, looked up in the PATH and the usual sbin folders. */
  public static Optional<Path> which(String program) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(PATH_DIRS);
    return dirs.stream()
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, program))
        .filter(Files::isExecutable)
        .findFirst();
  }

  static boolean isRoot() {
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(id.getInputStream().readAllBytes()).strip();
      return id.waitFor(10, TimeUnit.SECONDS) && "0".equals(uid);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
