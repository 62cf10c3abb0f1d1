package dev.opskit.core.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.immutables.value.Value;

/**
 * The one Immutables style of the SDK: generated {@code Immutable*} classes stay package-private,
 * users see {@code X.builder()} and {@code X.Builder} only, and need no Immutables jar on their
 * classpath. Not part of the public API.
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    visibility = Value.Style.ImplementationVisibility.PACKAGE,
    overshadowImplementation = true,
    jdkOnly = true,
    defaults = @Value.Immutable(copy = false),
    typeImmutable = "Immutable*",
    // Only a harmless entry: an empty list would allow every annotation found on the classpath,
    // and generated @org.immutables.value.Generated makes compilers of users warn without it.
    allowedClasspathAnnotations = {Override.class})
public @interface OpskitStyle {}
