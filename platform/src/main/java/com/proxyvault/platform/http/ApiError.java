package com.proxyvault.platform.http;

/**
 * The one error body of the public API: {@code {"detail": "Insufficient balance", "code":
 * "insufficient_balance"}}. {@code detail} is a sentence for people and may be reworded; {@code code} is one
 * of {@link ErrorCodes} and never changes meaning (docs/api.md, "Error body and codes").
 */
public record ApiError(String detail, String code) {

    /** The body with the default code of {@code status} ({@link ErrorCodes#forStatus(int)}). */
    public static ApiError of(int status, String detail) {
        return new ApiError(detail, ErrorCodes.forStatus(status));
    }
}
