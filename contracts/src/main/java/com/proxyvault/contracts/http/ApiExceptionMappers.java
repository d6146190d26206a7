package com.proxyvault.contracts.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/**
 * Every error from every service leaves as {@code {"detail": "..."}}. Services pick these mappers up by
 * indexing this jar ({@code quarkus.index-dependency.contracts.*}); anything unexpected becomes a logged
 * 500 with a generic detail, never a stack trace.
 */
public final class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    private ApiExceptionMappers() {
    }

    public static Response error(int status, String detail) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(detail)).build();
    }

    @Provider
    public static class ApiExceptionMapper implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            return error(e.status(), e.detail());
        }
    }

    @Provider
    public static class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            Response original = e.getResponse();
            int status = original.getStatus();
            String detail = switch (status) {
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 415 -> "Unsupported Media Type: send application/json";
                case 406 -> "Not Acceptable";
                case 400 -> e.getCause() instanceof JsonProcessingException jpe
                        ? "Malformed JSON body: " + jpe.getOriginalMessage()
                        : "Bad Request";
                default -> original.getStatusInfo().getReasonPhrase();
            };
            Response.ResponseBuilder response = Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(detail));
            String allow = original.getHeaderString("Allow");
            if (allow != null) {
                response.header("Allow", allow);
            }
            return response.build();
        }
    }

    @Provider
    public static class JsonProcessingExceptionMapper implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            return error(400, "Malformed JSON body: " + e.getOriginalMessage());
        }
    }

    @Provider
    public static class UnauthorizedExceptionMapper implements ExceptionMapper<UnauthorizedException> {
        @Override
        public Response toResponse(UnauthorizedException e) {
            return error(401, "Not authenticated");
        }
    }

    @Provider
    public static class AuthenticationFailedExceptionMapper implements ExceptionMapper<AuthenticationFailedException> {
        @Override
        public Response toResponse(AuthenticationFailedException e) {
            return error(401, "Not authenticated");
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
