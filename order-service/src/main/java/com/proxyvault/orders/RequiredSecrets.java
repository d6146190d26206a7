package com.proxyvault.orders;

import io.quarkus.arc.Unremovable;
import io.smallrye.config.ConfigMapping;

/**
 * Production fails closed: the secrets this service cannot run without. Each is
 * {@code proxyvault.required.<name>=${ENV_VAR}} in application.properties, with a value only in
 * {@code %dev} and {@code %test} (the dev keys under {@code bin/dev-keys}); the settings that use them
 * refer to these entries. Being a config mapping, it is checked when the configuration is built, before
 * anything starts, and a start without them ends with every missing variable named:
 * {@code SRCFG00011: Could not expand value DB_PASSWORD in property proxyvault.required.db-password}.
 * (A plain {@code ${DB_PASSWORD}} would not do: Quarkus treats an optional setting whose variable is
 * missing as unset and goes on.)
 */
@Unremovable // nothing injects it; it exists to be validated
@ConfigMapping(prefix = "proxyvault.required")
public interface RequiredSecrets {

    /** {@code DB_USER} */
    String dbUser();

    /** {@code DB_PASSWORD} */
    String dbPassword();

    /** {@code INTERNAL_JWT_PUBLIC_KEY_LOCATION} */
    String internalJwtPublicKey();
}
