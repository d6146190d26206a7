package com.proxyvault.fleet.renewals;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;

/** Expiry checkpoints (docs/money.md, "Renewals"): {@code proxyvault.fleet.renewals.*}. */
@ConfigMapping(prefix = "proxyvault.fleet.renewals")
public interface RenewalConfig {

    /**
     * How long before expires_at each checkpoint falls (default 24 h and 1 h; {@code FLEET_EXPIRY_CHECKPOINTS},
     * e.g. {@code 24h,1h}). At each, an auto-renewing proxy is renewed and any other is announced as
     * {@code proxy.expiring}. Only checkpoints shorter than the proxy's period apply to it.
     */
    @WithDefault("24h,1h")
    List<Duration> checkpoints();

    /** Proxies looked at per transaction of the checkpoint sweep. */
    @WithDefault("100")
    int batchSize();
}
