package com.proxyvault.fleet.proxies;

import java.time.LocalDateTime;

/**
 * The proxy's latest IP rotation as {@code GET /proxies/{id}} shows it under {@code rotation} (null when the
 * proxy was never reset on the modem it is on now, e.g. after a connect, or is disconnected: {@link ProxyView}):
 * {@code status} {@code rotating} (a reset answered 202 and is still running),
 * {@code rotated} ({@code new_ip}, {@code applied_mode}, {@code attempts}) or {@code failed} ({@code code} and
 * {@code detail} as the error answer would have had them). docs/fleet.md "Long resets: 202".
 */
public record RotationView(String status, String mode, String appliedMode, String oldIp, String newIp, int attempts,
                           LocalDateTime startedAt, LocalDateTime finishedAt, String code, String detail) {

    /** A run still {@code rotating} past its give-up time was abandoned (its replica stopped): shown as failed. */
    public static RotationView of(ProxyRotation r, LocalDateTime now) {
        if (ProxyRotations.ROTATING.equals(r.status) && !now.isBefore(r.giveUpAt)) {
            return new RotationView(ProxyRotations.FAILED, r.mode, null, r.oldIp, null, r.attempts, r.startedAt, r.giveUpAt,
                    ProxyRotations.ROTATION_ABANDONED, "The reset did not report back (the fleet instance running it stopped); try again");
        }
        return new RotationView(r.status, r.mode, r.appliedMode, r.oldIp, r.newIp, r.attempts, r.startedAt, r.finishedAt,
                r.errorCode, r.errorDetail);
    }
}
