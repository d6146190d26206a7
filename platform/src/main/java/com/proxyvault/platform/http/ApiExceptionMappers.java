package com.proxyvault.platform.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.hibernate.JDBCException;
import org.jboss.logging.Logger;

import java.net.ConnectException;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Every error from every service leaves as {@code {"detail": "..."}}. Services pick these mappers up by
 * indexing this jar ({@code quarkus.index-dependency.contracts.*}); anything unexpected becomes a logged
 * 500 with a generic detail, never a stack trace.
 */
public final class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);
    private static final String UNAVAILABLE = "Service temporarily unavailable, try again";

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
                        ? jsonProblem(jpe).detail()
                        : "Bad Request";
                default -> original.getStatusInfo().getReasonPhrase();
            };
            if (status == 400 && e.getCause() instanceof JsonProcessingException jpe) {
                status = jsonProblem(jpe).status();
            }
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
            ApiException problem = jsonProblem(e);
            return error(problem.status(), problem.detail());
        }
    }

    /** Syntax errors are 400; well-formed JSON whose number does not fit its field is an invalid value, 422. */
    static ApiException jsonProblem(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InputCoercionException) {
                return ApiException.unprocessable("A number in the request body is out of range");
            }
        }
        return ApiException.badRequest("Malformed JSON body: " + e.getOriginalMessage());
    }

    /**
     * Well-formed JSON of the wrong shape ({@code []}, {@code {"amount": {}}}) is an invalid value: 422.
     * Without this, Quarkus' built-in mapper for this exception answers a bare 400 with an empty body.
     */
    @Provider
    public static class MismatchedInputMapper implements ExceptionMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            String field = e.getPath().stream()
                    .map(JsonMappingException.Reference::getFieldName)
                    .filter(Objects::nonNull)
                    .collect(Collectors.joining("."));
            return error(422, field.isEmpty() ? "The request body must be a JSON object" : field + " has the wrong type");
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
