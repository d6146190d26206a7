package com.proxyvault.platform.http;

/**
 * The stable machine codes of the error body ({@code "code"}), the table of docs/api.md. A code never
 * changes meaning; the {@code detail} beside it may be reworded. {@link #forStatus(int)} gives the default
 * code of a status, used whenever an error is raised without naming one.
 */
public final class ErrorCodes {

    public static final String MALFORMED_JSON = "malformed_json";
    public static final String BAD_REQUEST = "bad_request";
    public static final String UNAUTHORIZED = "unauthorized";
    public static final String INSUFFICIENT_BALANCE = "insufficient_balance";
    public static final String FORBIDDEN = "forbidden";
    public static final String NOT_FOUND = "not_found";
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    public static final String NOT_ACCEPTABLE = "not_acceptable";
    public static final String CONFLICT = "conflict";
    public static final String IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress";
    public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
    public static final String URI_TOO_LONG = "uri_too_long";
    public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
    public static final String VALIDATION_FAILED = "validation_failed";
    public static final String IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused";
    public static final String RATE_LIMITED = "rate_limited";
    /** 429: the proxy's modem was reset too recently (docs/fleet.md, "Verified rotation"). */
    public static final String RESET_COOLDOWN = "reset_cooldown";
    public static final String TOO_MANY_FAILED_AUTHENTICATIONS = "too_many_failed_authentications";
    public static final String HEADERS_TOO_LARGE = "headers_too_large";
    public static final String INTERNAL_ERROR = "internal_error";
    public static final String SERVICE_UNAVAILABLE = "service_unavailable";
    /** 503: resets were done but the exit IP did not change (docs/fleet.md, "Verified rotation"). */
    public static final String ROTATION_FAILED = "rotation_failed";

    private ErrorCodes() {
    }

    /**
     * The default code of an HTTP status (400 → {@code bad_request}, 422 → {@code validation_failed}, …);
     * a status outside the table maps to {@code bad_request} below 500 and {@code internal_error} above.
     */
    public static String forStatus(int status) {
        return switch (status) {
            case 400 -> BAD_REQUEST;
            case 401 -> UNAUTHORIZED;
            case 402 -> INSUFFICIENT_BALANCE;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 409 -> CONFLICT;
            case 413 -> PAYLOAD_TOO_LARGE;
            case 414 -> URI_TOO_LONG;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 422 -> VALIDATION_FAILED;
            case 429 -> RATE_LIMITED;
            case 431 -> HEADERS_TOO_LARGE;
            case 503 -> SERVICE_UNAVAILABLE;
            default -> status >= 500 ? INTERNAL_ERROR : BAD_REQUEST;
        };
    }
}
