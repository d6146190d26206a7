package com.proxyvault.gateway;

import org.jboss.logmanager.ExtLogRecord;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * The formatted lines one class logs while a test runs: {@link #start()} in {@code @BeforeEach}, {@link #stop()} in
 * {@code @AfterEach}, {@link #lines()} to assert on. A handler on that class's logger (JBoss LogManager, as Quarkus
 * runs it), so nothing else's output is read.
 */
public final class CapturedLog extends Handler {

    private final String logger;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    public CapturedLog(Class<?> source) {
        this.logger = source.getName();
    }

    public void start() {
        org.jboss.logmanager.Logger.getLogger(logger).addHandler(this);
    }

    public void stop() {
        org.jboss.logmanager.Logger.getLogger(logger).removeHandler(this);
    }

    /** Every line logged since {@link #start()}, formatted, oldest first. */
    public List<String> lines() {
        return lines;
    }

    @Override
    public void publish(LogRecord record) {
        lines.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
