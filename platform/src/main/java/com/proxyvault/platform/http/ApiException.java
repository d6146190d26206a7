package com.proxyvault.platform.http;

/**
 * Thrown for any answer that is not a success; {@link ApiExceptionMappers} turns it into
 * {@code {"detail": ..., "code": ...}} with this status (a 401 also gets {@code WWW-Authenticate: Bearer}).
 * The factories choose the default code of their status ({@link ErrorCodes#forStatus(int)}); the overloads
 * taking a code come first with the code, then the sentence:
 * {@code ApiException.badRequest(ErrorCodes.MALFORMED_JSON, "Malformed JSON body")}.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private long retryAfterSeconds = -1;

    /** An error with the default code of {@code status}. */
    public ApiException(int status, String detail) {
        this(status, ErrorCodes.forStatus(status), detail);
    }

    public ApiException(int status, String code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return getMessage();
    }

    /**
     * Adds {@code Retry-After: <seconds>} (RFC 9110 §10.2.3, delay-seconds, at least 1) to the answer: for a
     * 429 or 503 that knows when a retry will be taken. Returns this exception.
     */
    public ApiException retryAfter(java.time.Duration wait) {
        this.retryAfterSeconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        return this;
    }

    /** The Retry-After seconds, or -1 when the answer carries none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** 400 {@code bad_request}. */
    public static ApiException badRequest(String detail) {
        return new ApiException(400, detail);
    }

    public static ApiException badRequest(String code, String detail) {
        return new ApiException(400, code, detail);
    }

    /** 400 {@code malformed_json}: the body is not one well-formed JSON document. */
    public static ApiException malformedJson(String detail) {
        return new ApiException(400, ErrorCodes.MALFORMED_JSON, detail);
    }

    /** 401 {@code unauthorized}. */
    public static ApiException unauthorized(String detail) {
        return new ApiException(401, detail);
    }

    /** 402 {@code insufficient_balance}. */
    public static ApiException paymentRequired(String detail) {
        return new ApiException(402, detail);
    }

    /** 403 {@code forbidden}. */
    public static ApiException forbidden(String detail) {
        return new ApiException(403, detail);
    }

    /** 404 {@code not_found}. */
    public static ApiException notFound(String detail) {
        return new ApiException(404, detail);
    }

    /** 409 {@code conflict}. */
    public static ApiException conflict(String detail) {
        return new ApiException(409, detail);
    }

    public static ApiException conflict(String code, String detail) {
        return new ApiException(409, code, detail);
    }

    /** 422 {@code validation_failed}; the detail names the field. */
    public static ApiException unprocessable(String detail) {
        return new ApiException(422, detail);
    }

    public static ApiException unprocessable(String code, String detail) {
        return new ApiException(422, code, detail);
    }

    /** 429 {@code rate_limited}. */
    public static ApiException tooManyRequests(String detail) {
        return new ApiException(429, detail);
    }

    public static ApiException tooManyRequests(String code, String detail) {
        return new ApiException(429, code, detail);
    }

    /** 503 {@code service_unavailable}: a dependency is down, nothing was written. */
    public static ApiException unavailable(String detail) {
        return new ApiException(503, detail);
    }

    public static ApiException unavailable(String code, String detail) {
        return new ApiException(503, code, detail);
    }
}
