package com.proxyvault.agent.modems;

/** How hard to push a modem for a new exit IP; mirrors the protocol's ResetMode. */
public enum ResetMode {
    /** Drop and re-establish the data session: seconds, usually a new IP. */
    FAST,
    /** Power-cycle the modem: slower, but works when the carrier keeps handing back the same IP. */
    HARD
}
