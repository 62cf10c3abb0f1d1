package dev.opskit.core.test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs root and the listed programs (network namespaces, iptables, sshd).
 * Without them the tests are skipped with a printed reason; when the environment variable {@code
 * OPSKIT_PRIVILEGED_TESTS=required} is set (as in CI), a missing requirement fails instead.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(PrivilegedCondition.class)
public @interface Privileged {
  /** Programs that must be on the PATH, such as {@code ip}, {@code iptables} or {@code sshd}. */
  String[] tools() default {};
}
