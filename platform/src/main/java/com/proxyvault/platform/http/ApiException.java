package com.proxyvault.platform.http;

/**
 * Thrown for any answer that is not a success; {@link ApiExceptionMappers} turns it into
 * {@code {"detail": ...}} with this status.
 */
public class ApiException extends RuntimeException {

    private final int status;

    public ApiException(int status, String detail) {
        super(detail, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public String detail() {
        return getMessage();
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(400, detail);
    }

    public static ApiException unauthorized(String detail) {
        return new ApiException(401, detail);
    }

    public static ApiException paymentRequired(String detail) {
        return new ApiException(402, detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(404, detail);
    }

    public static ApiException conflict(String detail) {
        return new ApiException(409, detail);
    }

    public static ApiException unprocessable(String detail) {
        return new ApiException(422, detail);
    }

    public static ApiException unavailable(String detail) {
        return new ApiException(503, detail);
    }
}
