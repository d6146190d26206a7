package com.proxyvault.fleet;

import com.proxyvault.platform.time.OffsetClock;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

/**
 * The service's {@link java.time.Clock} in tests: {@link OffsetClock} (the real time plus an offset a test moves
 * forward, never sleeping, and puts back with {@link #reset()}) as the service's bean.
 */
@Alternative
@Priority(1)
@Singleton
public class TestClock extends OffsetClock {
}
