package com.proxyvault.billing.http;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.proxyvault.contracts.http.ApiExceptionMappers;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.hibernate.JDBCException;
import org.jboss.logging.Logger;

import java.net.ConnectException;
import java.util.stream.Collectors;

/**
 * Additions to the {@code {"detail"}} mappers of contracts for failures this service can name better than
 * "Internal server error".
 */
public final class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);
    private static final String UNAVAILABLE = "Billing is temporarily unavailable, try again";

    private ErrorMappers() {
    }

    /**
     * Well-formed JSON of the wrong shape ({@code []}, {@code {"amount": {}}}) is an invalid value: 422. Without
     * this, Quarkus' built-in mapper for this exception answers a bare 400 with an empty body.
     */
    @Provider
    public static class MismatchedInputMapper implements ExceptionMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            String field = e.getPath().stream()
                    .map(JsonMappingException.Reference::getFieldName)
                    .filter(name -> name != null)
                    .collect(Collectors.joining("."));
            return ApiExceptionMappers.error(422, field.isEmpty()
                    ? "The request body must be a JSON object"
                    : field + " has the wrong type");
        }
    }

    /** The database cannot be reached: nothing was written, and the caller may retry (charges are idempotent). */
    @Provider
    public static class ConnectExceptionMapper implements ExceptionMapper<ConnectException> {
        @Override
        public Response toResponse(ConnectException e) {
            LOG.warnf("Database unreachable: %s", e.getMessage());
            return ApiExceptionMappers.error(503, UNAVAILABLE);
        }
    }

    /**
     * A transaction the database rolled back for a transient reason (connection lost, serialization failure,
     * deadlock, shutdown, out of resources) is a 503 the caller can retry; anything else is a bug and stays a
     * logged 500.
     */
    @Provider
    public static class JdbcExceptionMapper implements ExceptionMapper<JDBCException> {
        @Override
        public Response toResponse(JDBCException e) {
            String state = e.getSQLState();
            if (state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57P"))) {
                LOG.warnf("Transient database failure (SQLSTATE %s): %s", state, e.getMessage());
                return ApiExceptionMappers.error(503, UNAVAILABLE);
            }
            LOG.error("Unhandled database error", e);
            return ApiExceptionMappers.error(500, "Internal server error");
        }
    }
}
