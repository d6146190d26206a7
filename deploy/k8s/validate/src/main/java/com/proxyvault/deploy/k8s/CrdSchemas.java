package com.proxyvault.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The openAPIV3Schema of each operator kind deploy/k8s uses, as its CRD publishes it, made strict the
 * way kubeconform's {@code -strict} is: an object schema that lists its properties and does not say
 * {@code x-kubernetes-preserve-unknown-fields} refuses any other property. The API server would
 * silently prune such a field; here it is a typo and fails.
 */
public final class CrdSchemas {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Optional<JsonSchema>> cache = new ConcurrentHashMap<>();
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(false) // int32/int64/date-time are OpenAPI hints, not rules here
            .build();

    /** The schema of apiVersion/kind, or empty when no CRD of ours defines it. */
    public Optional<JsonSchema> schema(String apiVersion, String kind) {
        String file = "crd-schemas/" + apiVersion.replace('/', '_') + "_" + kind + ".json";
        return cache.computeIfAbsent(file, f -> {
            try (InputStream in = CrdSchemas.class.getClassLoader().getResourceAsStream(f)) {
                if (in == null) {
                    return Optional.empty();
                }
                JsonNode schema = JSON.readTree(in);
                strict(schema);
                return Optional.of(factory.getSchema(schema, config));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public List<String> validate(JsonSchema schema, JsonNode document) {
        return schema.validate(document).stream()
                .map(ValidationMessage::getMessage)
                .sorted()
                .toList();
    }

    /** OpenAPI → JSON Schema: closed objects, {@code nullable} as a null type. */
    static void strict(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                object.put("additionalProperties", false);
            }
            if (object.path("nullable").asBoolean(false) && object.has("type") && object.get("type").isTextual()) {
                ArrayNode types = object.putArray("type_");
                types.add(object.get("type").asText()).add("null");
                object.set("type", types);
                object.remove("type_");
            }
            for (Iterator<JsonNode> it = object.elements(); it.hasNext(); ) {
                strict(it.next());
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(CrdSchemas::strict);
        }
    }
}
