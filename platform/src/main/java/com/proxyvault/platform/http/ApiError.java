package com.proxyvault.platform.http;

/** The one error body of the public API: {@code {"detail": "Insufficient balance"}}. */
public record ApiError(String detail) {
}
