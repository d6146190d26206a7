package com.proxyvault.agent.process;

/**
 * A host tool could not be run, exited non-zero or ran past its timeout. The message says which in words fit for
 * an operator and for the fleet's {@code CommandResult.error}, e.g. {@code nft -f - failed (exit 1): Error: ...}.
 */
public class ProcessFailedException extends RuntimeException {

    public ProcessFailedException(String message) {
        super(message);
    }

    public ProcessFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
