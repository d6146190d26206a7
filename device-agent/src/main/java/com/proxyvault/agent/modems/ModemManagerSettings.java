package com.proxyvault.agent.modems;

import java.time.Duration;

/**
 * How the ModemManager driver talks to its modems.
 *
 * @param apn              the access point name for {@code --simple-connect} (carrier specific)
 * @param rescanInterval   how often to look for a modem again while it is away after {@code --reset}
 * @param hardResetTimeout how long a modem may stay away after {@code --reset} before the reset counts as failed
 */
public record ModemManagerSettings(String apn, Duration rescanInterval, Duration hardResetTimeout) {
}
