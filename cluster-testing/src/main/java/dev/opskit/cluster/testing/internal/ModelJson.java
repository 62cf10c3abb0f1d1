package dev.opskit.cluster.testing.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.kubernetes.client.openapi.JSON;
import java.time.LocalDate;
import java.time.OffsetDateTime;

/**
 * Converts between the official client's model objects and the JSON the fixture stores. Reading
 * binds reflectively with the client's date and byte adapters, so a stored field no model knows
 * (objects may be stored as any JSON) is skipped instead of failing the client's strict validation.
 */
public final class ModelJson {
  private static final Gson READER =
      new GsonBuilder()
          .registerTypeAdapter(OffsetDateTime.class, new JSON.OffsetDateTimeTypeAdapter())
          .registerTypeAdapter(LocalDate.class, new JSON.LocalDateTypeAdapter())
          .registerTypeAdapter(byte[].class, new JSON.ByteArrayAdapter())
          .create();

  private ModelJson() {}

  /** The model as the client would send it. */
  public static String write(Object model) {
    return JSON.serialize(model);
  }

  /** The stored JSON as a model object. */
  public static <T> T read(String json, Class<T> type) {
    return READER.fromJson(json, type);
  }
}
