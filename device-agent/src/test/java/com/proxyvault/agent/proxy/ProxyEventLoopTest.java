package com.proxyvault.agent.proxy;

import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProxyEventLoopTest {

    @Test
    void shouldRunOneEventLoopPerCore() {
        try (ProxyEventLoop eventLoop = new ProxyEventLoop()) {
            Set<EventExecutor> loops = new HashSet<>();
            eventLoop.group().forEach(loops::add);
            assertEquals(Runtime.getRuntime().availableProcessors(), loops.size(),
                    "one loop per core: more loops than cores only add thread switches (docs/device-agent.md)");
        }
    }
}
