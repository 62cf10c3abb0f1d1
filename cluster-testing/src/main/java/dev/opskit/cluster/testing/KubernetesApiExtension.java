package dev.opskit.cluster.testing;

import io.kubernetes.client.openapi.ApiClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * A JUnit 5 extension that gives each test class a running {@link KubernetesApiFixture}.
 *
 * <pre>{@code
 * @KubernetesApiTest
 * class ReaperTest {
 *   @Test
 *   void deletesEvictedPods(KubernetesApiFixture cluster, ApiClient client) throws Exception {
 *     cluster.createPod(TestPods.evicted("ci", "build-1", "low on memory", Duration.ofHours(3)));
 *     cluster.createPod(TestPods.running("ci", "build-2"));
 *
 *     PodReaper.on(client).reap(ReapPolicy.builder().build());
 *
 *     assertThat(cluster.pod("ci", "build-1")).isEmpty();
 *     assertThat(cluster.pod("ci", "build-2")).isPresent();
 *   }
 * }
 * }</pre>
 *
 * <ul>
 *   <li><b>Lifetime.</b> The fixture starts on first use in a test class (its {@link
 *       org.junit.jupiter.api.Nested nested} classes share it) and stops when the class is done.
 *   <li><b>Isolation.</b> Before each test the fixture is {@link KubernetesApiFixture#reset()
 *       reset}: stored objects, request log, faults, hooks and exec handler are gone; then the seed
 *       of {@link KubernetesApiTest#seed()} is stored. Store a test's own objects in the test or in
 *       a {@code @BeforeEach} method (which runs after the reset); what a {@code @BeforeAll} method
 *       stores is cleared before the first test.
 *   <li><b>Injection.</b> Constructors, lifecycle methods and test methods may declare parameters
 *       of type {@link KubernetesApiFixture} and {@link ApiClient} (the fixture's shared {@link
 *       KubernetesApiFixture#apiClient() client}). Seeding, the request log and fault injection
 *       stay on the fixture.
 * </ul>
 *
 * <p>Register it with {@link KubernetesApiTest} (which also keeps the class's tests on one thread)
 * or with {@code @ExtendWith(KubernetesApiExtension.class)}, which seeds nothing.
 */
public final class KubernetesApiExtension implements BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KubernetesApiExtension.class);

  /** Creates the extension; JUnit does this for {@code @ExtendWith}. */
  public KubernetesApiExtension() {}

  /** Resets the class's fixture and stores the seed. */
  @Override
  public void beforeEach(ExtensionContext context) {
    KubernetesApiFixture fixture = fixture(context);
    fixture.reset();
    if (seed(context) == KubernetesApiTest.Seed.REALISTIC) {
      fixture.seedRealisticCluster();
    }
  }

  /** True for parameters of type {@link KubernetesApiFixture} and {@link ApiClient}. */
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesApiFixture.class || type == ApiClient.class;
  }

  /** The class's fixture, or its shared client. */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    KubernetesApiFixture fixture = fixture(context);
    return parameter.getParameter().getType() == ApiClient.class ? fixture.apiClient() : fixture;
  }

  /** The fixture of the outermost test class, started on first use and closed with that class. */
  private static KubernetesApiFixture fixture(ExtensionContext context) {
    ExtensionContext outermost = context;
    while (outermost.getParent().flatMap(ExtensionContext::getTestClass).isPresent()) {
      outermost = outermost.getParent().orElseThrow();
    }
    return outermost
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            KubernetesApiFixture.class,
            type -> KubernetesApiFixture.start(),
            KubernetesApiFixture.class);
  }

  /** The seed named by the nearest {@link KubernetesApiTest}, for nested classes too. */
  private static KubernetesApiTest.Seed seed(ExtensionContext context) {
    for (Optional<ExtensionContext> c = Optional.of(context);
        c.isPresent();
        c = c.get().getParent()) {
      Optional<KubernetesApiTest> annotation =
          c.get()
              .getTestClass()
              .flatMap(type -> AnnotationSupport.findAnnotation(type, KubernetesApiTest.class));
      if (annotation.isPresent()) {
        return annotation.get().seed();
      }
    }
    return KubernetesApiTest.Seed.EMPTY;
  }
}
