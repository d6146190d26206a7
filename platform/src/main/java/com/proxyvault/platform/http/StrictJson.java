package com.proxyvault.platform.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.proxyvault.platform.input.Utf8;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Request bodies mean what they say (issue 6, docs/api.md "Request bodies"). Two parts:
 * <ul>
 *   <li>{@link #scan(JsonFactory, byte[])}: the body must be exactly one well-formed JSON document, judged
 *       before any binding ({@code [1,2}, {@code {"a":1} x}, {@code {}{}} → 400 {@code malformed_json});
 *       then, still on the token stream, no string value or field name may hold a control character
 *       (U+0000–U+001F, U+007F: PostgreSQL refuses NUL in text, the others have no business in names,
 *       references or urls) and no object may repeat a field → 422 {@code validation_failed} naming it.</li>
 *   <li>{@link #strictCopy(ObjectMapper)}: binding without coercion — a number or boolean where a string
 *       belongs, a string where a number belongs, a float for an integer, an integer that does not fit,
 *       null for a primitive, an unknown field → 422 naming the field ({@link #problem}).</li>
 * </ul>
 * {@link StrictJsonBodies} applies both to every JSON request body of a service. The application's own
 * {@code ObjectMapper} (events, REST-client answers) stays tolerant of unknown fields, so adding a field
 * to an event or an internal answer breaks no reader; the customizer below only refuses floats as ints
 * there too.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        // A character outside the BMP (an emoji in a key name) is written as its 4-byte UTF-8 sequence, as every
        // other character is, not as two \\u escapes of its surrogates: Jackson's UTF-8 writer escapes them unless
        // told (JsonGenerator.Feature.COMBINE_UNICODE_SURROGATES_IN_UTF8, Jackson 2.18+). Both are valid JSON (RFC 8259
        // section 7); the raw form is what a reader sees elsewhere in our answers (third new-user review, finding 9).
        mapper.configure(JsonGenerator.Feature.COMBINE_UNICODE_SURROGATES_IN_UTF8, true);
    }

    /**
     * A copy of {@code mapper} (same naming strategy and modules) that refuses unknown fields and every
     * scalar coercion. Used only to bind request bodies.
     */
    @SuppressWarnings("deprecation") // MapperFeature on a fresh copy, before its first use, is safe
    public static ObjectMapper strictCopy(ObjectMapper mapper) {
        ObjectMapper strict = mapper.copy();
        strict.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
        strict.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS,
                DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
                DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        strict.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT,
                DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
                DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS,
                DeserializationFeature.ACCEPT_EMPTY_STRING_AS_NULL_OBJECT);
        strict.coercionConfigDefaults().setAcceptBlankAsEmpty(false);
        for (CoercionInputShape shape : new CoercionInputShape[] {
                CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean}) {
            strict.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        for (LogicalType type : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            strict.coercionConfigFor(type)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        strict.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return strict;
    }

    /**
     * Streams once through {@code body} (no tree is built): throws 400 {@code malformed_json} unless it is
     * exactly one JSON document followed by nothing but whitespace, and 422 {@code validation_failed}
     * naming the field for a control character in a string or field name, or a repeated field. An empty
     * body passes (the resource decides whether a body is required).
     */
    public static void scan(JsonFactory factory, byte[] body) {
        requireUtf8(body);
        try (JsonParser parser = factory.createParser(body)) {
            try {
                scanDocument(parser);
            } catch (StreamConstraintsException e) {
                // the context is where the parser stopped: the number's field, so the answer can name it
                throw beyondLimits(e, describe(parser.getParsingContext()));
            }
        } catch (IOException e) {
            throw ApiException.malformedJson(malformedDetail(e));
        }
    }

    /** {@link #scan}'s walk over one document; the parser's failures are the caller's to answer. */
    private static void scanDocument(JsonParser parser) throws IOException {
        Deque<Set<String>> names = new ArrayDeque<>();
        JsonToken token = parser.nextToken();
        if (token == null) {
            return;
        }
        while (token != null) {
            switch (token) {
                case START_OBJECT -> names.push(new HashSet<>());
                case END_OBJECT -> names.pop();
                case FIELD_NAME -> {
                    String name = parser.currentName();
                    if (hasControl(name)) {
                        throw ApiException.unprocessable("A field name contains a control character");
                    }
                    if (hasLoneSurrogate(name.toCharArray(), 0, name.length())) {
                        throw ApiException.unprocessable("A field name contains an unpaired surrogate escape");
                    }
                    if (!names.peek().add(name)) {
                        throw ApiException.unprocessable(describe(parser.getParsingContext()) + " appears more than once");
                    }
                }
                case VALUE_STRING -> {
                    if (hasControl(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength())) {
                        throw ApiException.unprocessable(describe(parser.getParsingContext())
                                + " must not contain control characters (U+0000-U+001F, U+007F)");
                    }
                    if (hasLoneSurrogate(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength())) {
                        throw ApiException.unprocessable(describe(parser.getParsingContext())
                                + " must not contain an unpaired surrogate escape such as \\ud800 (RFC 8259 section 8.2)");
                    }
                }
                default -> {
                    // numbers, literals and arrays need no check here; binding judges their types
                }
            }
            if (names.isEmpty() && parser.getParsingContext().inRoot()) {
                break;
            }
            token = parser.nextToken();
        }
        if (parser.nextToken() != null) {
            throw ApiException.malformedJson("Malformed JSON body: unexpected data after the JSON document");
        }
    }

    /**
     * The answer for a well-formed document beyond the parser's {@code StreamReadConstraints} (Jackson's defaults:
     * numbers of at most 1,000 digits, 1,000 levels of nesting): 422 {@code validation_failed} in our words, never
     * the parser's ("exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNumberLength()`)" reached
     * resellers as a 400 {@code malformed_json}: new-user review, stop 33). The syntax is fine, so it is not
     * {@code malformed_json}; a number that long is "an integer that does not fit" (docs/api.md, 422 naming the
     * field). {@code field} is the JSON path as {@link #describe} gives it when known, else null.
     */
    static ApiException beyondLimits(StreamConstraintsException e, String field) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.startsWith("Number value length")) {
            boolean named = field != null && !field.isEmpty() && !field.equals(ROOT);
            return ApiException.unprocessable((named ? field : "A number in the request body")
                    + " is out of range (more than 1000 digits)");
        }
        if (message.startsWith("Document nesting depth")) {
            return ApiException.unprocessable("The request body nests arrays or objects more than 1000 levels deep");
        }
        return ApiException.unprocessable("The request body has a value, field name or document too long to read");
    }

    /**
     * The detail of a 400 {@code malformed_json} for {@code failure}: "Malformed JSON body: " and what the parser found,
     * with where ("at line L, column C"), without the parser's own description of its input (Jackson's
     * {@code (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ...])}
     * reached resellers verbatim: new-user review, stop 30, L1).
     */
    public static String malformedDetail(IOException failure) {
        String message = failure instanceof StreamReadException read && read.getOriginalMessage() != null
                ? read.getOriginalMessage() : String.valueOf(failure.getMessage());
        for (String marker : new String[] {" (start marker at", "\n at [Source:", " at [Source:", "[Source:"}) {
            int cut = message.indexOf(marker);
            if (cut >= 0) {
                message = message.substring(0, cut);
            }
        }
        message = message.strip();
        if (failure instanceof StreamReadException read && read.getLocation() != null && read.getLocation().getLineNr() > 0) {
            message += " at line " + read.getLocation().getLineNr() + ", column " + read.getLocation().getColumnNr();
        }
        return "Malformed JSON body: " + message;
    }

    /** U+FEFF, the byte order mark, as UTF-16 (and UTF-32LE) texts start with it. */
    private static final byte[] UTF16_BE_BOM = {(byte) 0xFE, (byte) 0xFF};
    private static final byte[] UTF16_LE_BOM = {(byte) 0xFF, (byte) 0xFE};
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    /**
     * JSON is UTF-8 (RFC 8259 §8.1), and strictly so: Jackson's own decoder lets some ill-formed sequences
     * through (an overlong {@code C0 AF} became "/"), so the bytes are checked by {@link Utf8#isWellFormed}.
     * A UTF-8 byte order mark ({@code EF BB BF}) at the start is ignored, as §8.1 lets a parser do: a sender
     * "MUST NOT add" one, but an editor's "UTF-8 with BOM" file sent with {@code curl -d @file} is plainly
     * meant, and it was always accepted (a client that worked must keep working). A UTF-16 or UTF-32LE mark
     * ({@code FE FF}, {@code FF FE}) means the text is not UTF-8 at all: refused naming the mark, which tells
     * the sender what to change where "not valid UTF-8" did not (new-user review). All 400 {@code malformed_json}.
     */
    static void requireUtf8(byte[] body) {
        if (startsWith(body, UTF16_BE_BOM) || startsWith(body, UTF16_LE_BOM)) {
            throw ApiException.malformedJson("Malformed JSON body: it starts with a UTF-16 or UTF-32 byte order mark;"
                    + " JSON must be UTF-8 (RFC 8259 section 8.1)");
        }
        if (startsWith(body, UTF8_BOM) && blankFrom(body, UTF8_BOM.length)) {
            // Jackson's own words here were "Invalid UTF-8 start byte", which points the sender the wrong way
            throw ApiException.malformedJson("Malformed JSON body: a UTF-8 byte order mark and no JSON document after it");
        }
        if (!Utf8.isWellFormed(body)) {
            throw ApiException.malformedJson("Malformed JSON body: not valid UTF-8");
        }
    }

    /** Whether {@code body} holds only JSON whitespace (RFC 8259 section 2) from {@code from} on. */
    private static boolean blankFrom(byte[] body, int from) {
        for (int i = from; i < body.length; i++) {
            if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n' && body[i] != '\r') {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] body, byte[] prefix) {
        return body.length >= prefix.length && Arrays.equals(body, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * The answer for a Jackson failure: a syntax error is 400 {@code malformed_json}; everything else (wrong
     * type, coercion refused, number out of range, unknown field) is 422 {@code validation_failed} naming
     * the field by its JSON path ({@code product_id}, {@code items[0].name}).
     */
    public static ApiException problem(JsonProcessingException e) {
        String field = fieldOf(e);
        if (e instanceof UnrecognizedPropertyException unknown) {
            return ApiException.unprocessable("Unknown field '" + (field.isEmpty() ? unknown.getPropertyName() : field) + "'");
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InputCoercionException) {
                return ApiException.unprocessable((field.isEmpty() ? "A number in the request body" : field) + " is out of range");
            }
        }
        if (e instanceof StreamConstraintsException beyond) {
            return beyondLimits(beyond, field);
        }
        if (e instanceof StreamReadException read && !(e instanceof JsonMappingException)) {
            return ApiException.malformedJson(malformedDetail(read));
        }
        return ApiException.unprocessable(field.isEmpty()
                ? "The request body must be a JSON object of the documented shape"
                : field + " has the wrong type or value");
    }

    private static String fieldOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
                StringBuilder path = new StringBuilder();
                for (JsonMappingException.Reference ref : mapping.getPath()) {
                    if (ref.getFieldName() != null) {
                        path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                    } else if (ref.getIndex() >= 0) {
                        path.append('[').append(ref.getIndex()).append(']');
                    }
                }
                return path.toString();
            }
        }
        return "";
    }

    /** {@code a.b[2].c} for the value the parser is on; {@code the request body} at the root. */
    /** What {@link #describe} calls the document itself. */
    private static final String ROOT = "The request body";

    private static String describe(JsonStreamContext context) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                parts.push("." + c.getCurrentName());
            } else if (c.inArray()) {
                parts.push("[" + Math.max(c.getCurrentIndex(), 0) + "]");
            }
        }
        String path = String.join("", parts);
        if (path.isEmpty()) {
            return ROOT;
        }
        return path.startsWith(".") ? path.substring(1) : path;
    }

    /**
     * Whether the decoded text holds a UTF-16 surrogate that is not half of a pair: an escape such as
     * {@code "\ud800"} on its own. Raw bytes cannot carry one ({@link #requireUtf8} refuses them), but the
     * escape is well-formed JSON that names no character (RFC 8259 §8.2); UTF-8 cannot store it, and the
     * database driver wrote it as "?", so distinct references and names became the same one.
     */
    static boolean hasLoneSurrogate(char[] chars, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            char c = chars[i];
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
                    i++; // a pair: one character outside the BMP, fine
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasControl(String s) {
        return s != null && hasControl(s.toCharArray(), 0, s.length());
    }

    static boolean hasControl(char[] chars, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            char c = chars[i];
            if (c < 0x20 || c == 0x7F) {
                return true;
            }
        }
        return false;
    }
}
