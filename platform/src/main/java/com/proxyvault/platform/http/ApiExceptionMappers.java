package com.proxyvault.platform.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.hibernate.JDBCException;
import org.jboss.logging.Logger;

import java.net.ConnectException;

/**
 * Every error from every service leaves as {@code {"detail": "...", "code": "..."}} ({@link ApiError},
 * codes in {@link ErrorCodes}, docs/api.md). Services pick these mappers up by indexing this jar
 * ({@code quarkus.index-dependency.platform.*}). Every 401 carries {@code WWW-Authenticate: Bearer}
 * (RFC 9110 §11.6.1), including the ones for a missing, expired or wrong-audience internal token; a 405
 * keeps its {@code Allow}. Anything unexpected becomes a logged 500 {@code internal_error} with a generic
 * detail, never a stack trace.
 */
public final class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);
    private static final String UNAVAILABLE = "Service temporarily unavailable, try again";
    private static final String NOT_AUTHENTICATED = "Not authenticated";
    /** How a reseller's API key starts (the gateway's {@code ApiKeys.PREFIX}; seed: {@code Authorization: Bearer rv_...}). */
    private static final String RESELLER_KEY_PREFIX = "rv_";
    /** The operator API's paths (the gateway's); a service's internal paths take the gateway's internal tokens. */
    private static final String OPERATOR_PATH = "/v1/admin/";

    private ApiExceptionMappers() {
    }

    /**
     * The error response with the default code of {@code status}. Adds no headers: a caller answering 401
     * this way adds {@code WWW-Authenticate} itself (or uses {@link #error(ApiException)}).
     */
    public static Response error(int status, String detail) {
        return error(status, ErrorCodes.forStatus(status), detail);
    }

    /** The error response with an explicit code (one of {@link ErrorCodes}). */
    public static Response error(int status, String code, String detail) {
        return builder(status, code, detail).build();
    }

    /**
     * The response for an {@link ApiException}: its status, code and detail, with the challenge on a 401 and
     * {@code Retry-After} when the exception names one.
     */
    public static Response error(ApiException e) {
        Response.ResponseBuilder response = builder(e.status(), e.code(), e.detail());
        if (e.retryAfterSeconds() > 0) {
            response.header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
        }
        return response.build();
    }

    private static Response.ResponseBuilder builder(int status, String code, String detail) {
        Response.ResponseBuilder response = Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError(detail, code));
        if (status == 401) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        return response;
    }

    @Provider
    public static class ApiExceptionMapper implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            return error(e);
        }
    }

    /**
     * What the HTTP layer refuses before a resource runs: unknown route (404), wrong method (405, with
     * {@code Allow}), a body that is not JSON (415), an unacceptable {@code Accept} (406), an unparsable
     * parameter (400).
     */
    @Provider
    public static class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {

        @Context
        UriInfo uri;

        @Override
        public Response toResponse(WebApplicationException e) {
            if (e.getCause() instanceof JsonProcessingException jpe) {
                return error(StrictJson.problem(jpe));
            }
            Response original = e.getResponse();
            int status = original.getStatus();
            String detail = switch (status) {
                case 400 -> "Bad Request";
                case 401 -> NOT_AUTHENTICATED;
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 406 -> "Not Acceptable: this API answers application/json";
                case 415 -> "Unsupported Media Type: send application/json";
                default -> original.getStatusInfo().getReasonPhrase();
            };
            if (status >= 500) {
                LOG.error("Unhandled error", e);
            }
            Response.ResponseBuilder response = builder(status, ErrorCodes.forStatus(status), detail);
            String allow = original.getHeaderString(HttpHeaders.ALLOW);
            if (allow == null && status == 405 && uri != null) {
                allow = AllowedMethods.forPath(uri.getPath());
            }
            if (allow != null) {
                response.header(HttpHeaders.ALLOW, allow);
            }
            return response.build();
        }
    }

    /** Jackson failures that escape {@link StrictJsonBodies}: syntax 400 {@code malformed_json}, values 422. */
    @Provider
    public static class JsonProcessingExceptionMapper implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            return error(StrictJson.problem(e));
        }
    }

    /**
     * Quarkus registers its own mapper for this subtype (a bare 400); ours wins for the exact type and
     * answers like {@link JsonProcessingExceptionMapper}.
     */
    @Provider
    public static class MismatchedInputMapper implements ExceptionMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            return error(StrictJson.problem(e));
        }
    }

    /** The database cannot be reached: nothing was written, and the caller may retry. */
    @Provider
    public static class ConnectExceptionMapper implements ExceptionMapper<ConnectException> {
        @Override
        public Response toResponse(ConnectException e) {
            LOG.warnf("Dependency unreachable: %s", e.getMessage());
            return error(503, UNAVAILABLE);
        }
    }

    /**
     * A transaction the database rolled back for a transient reason (connection lost, serialization
     * failure, deadlock, shutdown, out of resources) is a 503 the caller can retry; anything else is a bug
     * and stays a logged 500.
     */
    @Provider
    public static class JdbcExceptionMapper implements ExceptionMapper<JDBCException> {
        @Override
        public Response toResponse(JDBCException e) {
            String state = e.getSQLState();
            if (state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57P"))) {
                LOG.warnf("Transient database failure (SQLSTATE %s): %s", state, e.getMessage());
                return error(503, UNAVAILABLE);
            }
            LOG.error("Unhandled database error", e);
            return error(500, "Internal server error");
        }
    }

    /**
     * The detail of a 401 on a JWT endpoint for the request's path and {@code Authorization} header (null: none): a
     * reseller's API key ({@code Bearer rv_...}) on the operator API ({@value #OPERATOR_PATH}...) is named as such, as {@code /v1/reseller} names an
     * operator token sent there (the gateway's {@code ApiKeyRefusal}); an operator who tried a reseller key on
     * {@code /v1/admin} read only "Not authenticated" (new-user review, stop 30, L3). Otherwise "Not authenticated".
     */
    public static String notAuthenticatedDetail(String path, String authorization) {
        if (path != null && path.startsWith(OPERATOR_PATH) && authorization != null
                && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                && authorization.substring(7).strip().startsWith(RESELLER_KEY_PREFIX)) {
            return NOT_AUTHENTICATED + ": a reseller API key (" + RESELLER_KEY_PREFIX + "...) was sent where an operator"
                    + " token belongs; this endpoint takes an operator JWT as Authorization: Bearer <token>";
        }
        return NOT_AUTHENTICATED;
    }

    /** No token on an endpoint that needs one (or a reseller key, which is no token: {@link #notAuthenticatedDetail}). */
    @Provider
    public static class UnauthorizedExceptionMapper implements ExceptionMapper<UnauthorizedException> {
        @Context
        HttpHeaders headers;
        @Context
        UriInfo uri;

        @Override
        public Response toResponse(UnauthorizedException e) {
            return error(401, notAuthenticatedDetail(uri == null ? null : uri.getRequestUri().getPath(),
                    headers == null ? null : headers.getHeaderString(HttpHeaders.AUTHORIZATION)));
        }
    }

    /** A token smallrye-jwt refused: bad signature, expired, too long-lived, wrong issuer or audience. */
    @Provider
    public static class AuthenticationFailedExceptionMapper implements ExceptionMapper<AuthenticationFailedException> {
        @Context
        HttpHeaders headers;
        @Context
        UriInfo uri;

        @Override
        public Response toResponse(AuthenticationFailedException e) {
            return error(401, notAuthenticatedDetail(uri == null ? null : uri.getRequestUri().getPath(),
                    headers == null ? null : headers.getHeaderString(HttpHeaders.AUTHORIZATION)));
        }
    }

    @Provider
    public static class ForbiddenExceptionMapper implements ExceptionMapper<ForbiddenException> {
        @Override
        public Response toResponse(ForbiddenException e) {
            return error(403, "Forbidden");
        }
    }

    @Provider
    public static class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {
        @Override
        public Response toResponse(Throwable e) {
            LOG.error("Unhandled error", e);
            return error(500, "Internal server error");
        }
    }
}
