package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Test helper shared through the contracts test-jar: checks a produced event against the JSON Schema of
 * its type in {@code schemas/events/<type>.json}.
 */
public final class EventSchemas {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private EventSchemas() {
    }

    /** Throws AssertionError naming every violation when {@code json} does not match its type's schema. */
    public static void assertValid(String json) {
        JsonNode event = parse(json);
        String type = event.path("type").asText();
        Set<ValidationMessage> errors = schemaOf(type).validate(event);
        if (!errors.isEmpty()) {
            throw new AssertionError("Event does not match schema " + type + ": " + errors + "\n" + json);
        }
    }

    private static JsonSchema schemaOf(String type) {
        try (InputStream in = EventSchemas.class.getResourceAsStream("/schemas/events/" + type + ".json")) {
            if (in == null) {
                throw new AssertionError("No schema for event type '" + type + "'");
            }
            return FACTORY.getSchema(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("Not JSON: " + json, e);
        }
    }
}
