package dev.opskit.cluster.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Runs a JUnit 5 test class against a {@link KubernetesApiFixture}: one fixture per class, reset
 * before each test and optionally seeded, injected as a parameter of type {@link
 * KubernetesApiFixture} or {@link io.kubernetes.client.openapi.ApiClient}. See {@link
 * KubernetesApiExtension} for the details and an example.
 *
 * <p>The tests of an annotated class run one at a time (they share the fixture), even when JUnit
 * runs tests in parallel; different classes have different fixtures.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KubernetesApiExtension.class)
@Execution(ExecutionMode.SAME_THREAD)
public @interface KubernetesApiTest {
  /** The objects each test starts with; {@link Seed#EMPTY} by default. */
  Seed seed() default Seed.EMPTY;

  /** The objects each test starts with. */
  enum Seed {
    /** No objects at all. */
    EMPTY,
    /**
     * The sample cluster listed in {@link SeedCluster}, as {@link
     * KubernetesApiFixture#seedRealisticCluster()} stores it.
     */
    REALISTIC
  }
}
