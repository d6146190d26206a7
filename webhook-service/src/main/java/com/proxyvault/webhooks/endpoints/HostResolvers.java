package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.net.HostResolver;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The resolver of webhook hosts: the JVM's, unless a test supplies its own {@link HostResolver} bean. */
@ApplicationScoped
public class HostResolvers {

    @Produces
    @DefaultBean
    @Singleton
    HostResolver system() {
        return HostResolver.SYSTEM;
    }
}
