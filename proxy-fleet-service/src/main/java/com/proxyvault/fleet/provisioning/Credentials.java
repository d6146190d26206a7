package com.proxyvault.fleet.provisioning;

import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.HexFormat;

/** Fresh, unguessable credentials and a human-friendly name for each proxy. */
public final class Credentials {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHANUMERIC = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

    private Credentials() {
    }

    public static String username() {
        return "u" + random(9);
    }

    public static String password() {
        return random(20);
    }

    /** Like the seed's {@code 5E9F-2026-03-09}: a short tag and the day it was made. */
    public static String proxyName(LocalDate day) {
        byte[] tag = new byte[2];
        RANDOM.nextBytes(tag);
        return HexFormat.of().withUpperCase().formatHex(tag) + "-" + day;
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHANUMERIC[RANDOM.nextInt(ALPHANUMERIC.length)];
        }
        return new String(out);
    }
}
