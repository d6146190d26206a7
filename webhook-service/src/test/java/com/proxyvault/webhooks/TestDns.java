package com.proxyvault.webhooks;

import com.proxyvault.platform.net.HostResolver;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tests' DNS: names under {@value #ZONE} answer what the test last set (a public address at
 * registration, a private one at delivery: DNS rebinding); every other name goes to the JVM's resolver.
 * Replaces the service's default {@link HostResolver} in every {@code @QuarkusTest} of this module.
 */
@Singleton
public class TestDns implements HostResolver {

    public static final String ZONE = ".pv-test.example";

    private static final Map<String, List<InetAddress>> ANSWERS = new ConcurrentHashMap<>();

    /** From now on {@code name} resolves to {@code addresses} (IP literals). */
    public static void answer(String name, String... addresses) throws UnknownHostException {
        InetAddress[] resolved = new InetAddress[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
            resolved[i] = InetAddress.getByName(addresses[i]);
        }
        ANSWERS.put(name, List.of(resolved));
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        if (host.endsWith(ZONE)) {
            List<InetAddress> answer = ANSWERS.get(host);
            if (answer == null) {
                throw new UnknownHostException(host);
            }
            return answer;
        }
        return SYSTEM.resolve(host);
    }
}
