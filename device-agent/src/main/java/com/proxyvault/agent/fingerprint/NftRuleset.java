package com.proxyvault.agent.fingerprint;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Renders the agent's whole nftables ruleset: one table {@code inet proxyvault}, a {@code postrouting} base
 * chain that jumps, by output interface, to one chain per shaped modem, which sets the TTL / hop limit and the
 * SYN's MSS of its fingerprint. Every text starts by creating and deleting the table, so {@code nft -f -} replaces
 * the previous version in one transaction (the nftables wiki's atomic replacement idiom: the first line makes
 * sure there is a table to delete), and a text without modems removes the table altogether.
 *
 * <p>Example, modem {@code lax-1} on {@code wwan0} presenting Windows:
 * <pre>
 * table inet proxyvault
 * delete table inet proxyvault
 * table inet proxyvault {
 *     chain postrouting {
 *         type filter hook postrouting priority -150; policy accept;
 *         oifname "wwan0" jump modem_lax_1
 *     }
 *     chain modem_lax_1 {
 *         ip ttl set 128
 *         ip6 hoplimit set 128
 *         tcp flags syn tcp option maxseg size set 1460
 *     }
 * }
 * </pre>
 * Priority -150 is nftables' {@code mangle}, the place packets are rewritten before they leave; the statements
 * are from nft(8) ("IPV4 HEADER EXPRESSION", "TCP HEADER EXPRESSION": {@code tcp option maxseg size set}).
 */
public final class NftRuleset {

    /** The table's family and name; nothing else on the host is touched. */
    public static final String TABLE = "inet proxyvault";

    /** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), and never a quote or a space in our rules. */
    private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");

    /** One modem's rules: its id, the interface its data session uses, and what it presents. */
    public record ModemRule(String modemId, String interfaceName, OsFingerprint fingerprint) {
    }

    private NftRuleset() {
    }

    /** Whether {@code name} can be written into a rule (interface names come from mmcli's output). */
    public static boolean isInterfaceName(String name) {
        return name != null && INTERFACE.matcher(name).matches();
    }

    /**
     * The text for {@code nft -f -}. Rules with {@link OsFingerprint#NONE} or an interface name that is not one
     * ({@link #isInterfaceName}) are left out; the caller logs them.
     */
    public static String render(List<ModemRule> rules) {
        List<ModemRule> shaped = rules.stream()
                .filter(rule -> rule.fingerprint() != OsFingerprint.NONE && isInterfaceName(rule.interfaceName()))
                .toList();
        StringBuilder text = new StringBuilder()
                .append("# Written by the ProxyVault device-agent (docs/fleet.md \"OS fingerprints\"); replaced as a whole.\n")
                .append("table ").append(TABLE).append('\n')
                .append("delete table ").append(TABLE).append('\n');
        if (shaped.isEmpty()) {
            return text.toString();
        }
        Set<String> chains = new HashSet<>();
        StringBuilder jumps = new StringBuilder();
        StringBuilder modemChains = new StringBuilder();
        for (ModemRule rule : shaped) {
            String chain = chainName(rule.modemId(), chains);
            jumps.append("\t\toifname \"").append(rule.interfaceName()).append("\" jump ").append(chain).append('\n');
            OsFingerprint fingerprint = rule.fingerprint();
            modemChains.append("\tchain ").append(chain).append(" {\n")
                    .append("\t\tip ttl set ").append(fingerprint.ttl()).append('\n')
                    .append("\t\tip6 hoplimit set ").append(fingerprint.ttl()).append('\n')
                    .append("\t\ttcp flags syn tcp option maxseg size set ").append(fingerprint.mss()).append('\n')
                    .append("\t}\n");
        }
        return text.append("table ").append(TABLE).append(" {\n")
                .append("\tchain postrouting {\n")
                .append("\t\ttype filter hook postrouting priority -150; policy accept;\n")
                .append(jumps)
                .append("\t}\n")
                .append(modemChains)
                .append("}\n")
                .toString();
    }

    /** {@code modem_} and the modem id in the letters nft identifiers allow, made unique with a suffix if two meet. */
    private static String chainName(String modemId, Set<String> taken) {
        String base = "modem_" + modemId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String name = base;
        for (int i = 2; !taken.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }
}
