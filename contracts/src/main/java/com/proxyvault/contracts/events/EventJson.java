package com.proxyvault.contracts.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reads and writes envelopes with whatever ObjectMapper the service configured. */
public final class EventJson {

    private EventJson() {
    }

    public static String write(ObjectMapper mapper, EventEnvelope<?> event) {
        try {
            return mapper.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Event " + event.type() + " cannot be serialized", e);
        }
    }

    /** Parses an envelope and its data as {@code dataType}; a malformed message is an IllegalArgumentException. */
    public static <T> EventEnvelope<T> read(ObjectMapper mapper, String json, Class<T> dataType) {
        JavaType type = mapper.getTypeFactory().constructParametricType(EventEnvelope.class, dataType);
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Malformed event: " + e.getOriginalMessage(), e);
        }
    }
}
