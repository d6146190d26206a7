package com.proxyvault.platform.http;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Test helper (platform test-jar): {@code n} calls made at the same moment, for tests of requests that meet in a
 * service, such as two with one {@code Idempotency-Key} at its unique index (docs/api.md "What the services keep").
 * Each call has its own thread; all threads wait at one barrier and make their call when the last arrives, so the
 * calls overlap as far as the machine lets them. Whether a given round overlaps is up to the scheduler: a test repeats
 * rounds, and asserts what every interleaving must give, never which one happened.
 */
public final class AtOnce {

    private AtOnce() {
    }

    /**
     * The results of {@code call.apply(0)} to {@code call.apply(n - 1)}, each made on its own thread once all {@code n}
     * threads are ready, in index order. A call that throws fails this with its exception (the first in index order).
     */
    public static <T> List<T> call(int n, IntFunction<T> call) {
        ExecutorService threads = Executors.newFixedThreadPool(n);
        CyclicBarrier ready = new CyclicBarrier(n);
        try {
            List<Future<T>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                calls.add(threads.submit(() -> {
                    ready.await();
                    return call.apply(index);
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> result : calls) {
                results.add(result.get());
            }
            return results;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            threads.shutdownNow();
        }
    }
}
