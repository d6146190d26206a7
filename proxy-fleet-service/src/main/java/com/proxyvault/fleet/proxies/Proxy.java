package com.proxyvault.fleet.proxies;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.LocalDateTime;

/** One reseller's proxy: a port on an agent's host, bound to one modem, for one paid order. */
@Entity
@Table(name = "proxies")
public class Proxy extends PanacheEntityBase {
    /**
     * Every column this entity maps, for the native queries that read proxies into it: they name them and never
     * {@code select *}, because Hibernate Reactive fails such a query on a column the table has and the entity does not
     * map (NullPointerException "sqlSelection is null", as in hibernate-reactive#3616). So a column can leave the entity
     * one release before a migration drops it, while replicas of the previous release, which still map it, run
     * (docs/fleet.md "Removing a column of proxies"). {@code ProxyColumnsTest} keeps it equal to the mapped fields.
     */
    public static final String COLUMNS = """
            id, reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username, password, status,
            fingerprint, period_type, period_duration, failure_reason, created_at, command_sent_at, activated_at,
            expires_at, updated_at, traceparent, auto_renew, notice_expiry, next_checkpoint_at, moving_until,
            move_from_modem_id, move_from_agent_id, move_from_port, fingerprint_until""";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "reseller_id")
    public long resellerId;
    @Column(name = "order_id")
    public long orderId;
    public String name;
    @Column(name = "modem_id")
    public String modemId;
    @Column(name = "agent_id")
    public String agentId;
    @Column(name = "location_id")
    public String locationId;
    public String ip;
    public int port;
    public String username;
    public String password;
    public String status;
    /** Browser fingerprint profile: none, linux, macos, windows. */
    public String fingerprint;
    @Column(name = "period_type")
    public String periodType;
    @Column(name = "period_duration")
    public int periodDuration;
    @Column(name = "failure_reason")
    public String failureReason;
    @Column(name = "created_at")
    public LocalDateTime createdAt;
    @Column(name = "command_sent_at")
    public LocalDateTime commandSentAt;
    @Column(name = "activated_at")
    public LocalDateTime activatedAt;
    @Column(name = "expires_at")
    public LocalDateTime expiresAt;
    @Column(name = "updated_at")
    public LocalDateTime updatedAt;
    /**
     * The W3C traceparent of the paid order's trace, so the events about this proxy (provisioned, failed)
     * join the purchase's trace although they are written later, from an agent's answer.
     */
    public String traceparent;
    /** Renew from the reseller's balance at the expiry checkpoints (docs/money.md, "Renewals"). */
    @Column(name = "auto_renew")
    public boolean autoRenew;
    /** The expires_at the checkpoint bookkeeping refers to; anything else (null) means "look again". */
    @Column(name = "notice_expiry")
    public LocalDateTime noticeExpiry;
    /** When the next expiry checkpoint of {@link #noticeExpiry} is due; null when none is left. */
    @Column(name = "next_checkpoint_at")
    public LocalDateTime nextCheckpointAt;
    /** Until when a connect's move to this placement waits for its agent (V20); null when none runs. */
    @Column(name = "moving_until")
    public LocalDateTime movingUntil;
    /**
     * The place a connect's move is leaving (modem, agent, port), held until the move has ended (V24: the old
     * listener still serves until the new one is confirmed); all three null when no move holds one.
     */
    @Column(name = "move_from_modem_id")
    public String moveFromModemId;
    @Column(name = "move_from_agent_id")
    public String moveFromAgentId;
    @Column(name = "move_from_port")
    public Integer moveFromPort;
    /** Until when a fingerprint change waits for its agent (V21); null when none runs. */
    @Column(name = "fingerprint_until")
    public LocalDateTime fingerprintUntil;
}
