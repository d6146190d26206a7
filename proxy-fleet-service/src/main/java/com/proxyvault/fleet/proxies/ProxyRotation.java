package com.proxyvault.fleet.proxies;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.LocalDateTime;

/**
 * The latest IP rotation of one proxy (fleet migration V11; docs/fleet.md "Long resets: 202"): claimed by
 * {@code POST /proxies/{id}/reset}, finished by the replica running it. Read-only here: {@link ProxyRotations}
 * writes it with SQL.
 */
@Entity
@Table(name = "proxy_rotations")
public class ProxyRotation extends PanacheEntityBase {
    @Id
    @Column(name = "proxy_id")
    public Long proxyId;
    @Column(name = "rotation_id")
    public String rotationId;
    /** {@code rotating}, {@code rotated} or {@code failed}. */
    public String status;
    /** The mode asked for. */
    public String mode;
    /** The mode that changed the IP (fast, or hard after an escalation); null until rotated. */
    @Column(name = "applied_mode")
    public String appliedMode;
    /** The modem this run reset ({@code proxies.modem_id} when it was claimed); shown only while the proxy is on it. */
    @Column(name = "modem_id")
    public String modemId;
    @Column(name = "old_ip")
    public String oldIp;
    @Column(name = "new_ip")
    public String newIp;
    public int attempts;
    @Column(name = "error_code")
    public String errorCode;
    @Column(name = "error_detail")
    public String errorDetail;
    @Column(name = "replica_id")
    public String replicaId;
    @Column(name = "started_at")
    public LocalDateTime startedAt;
    /** Still {@code rotating} after this: abandoned (its replica stopped), reads as failed and blocks nothing. */
    @Column(name = "give_up_at")
    public LocalDateTime giveUpAt;
    @Column(name = "finished_at")
    public LocalDateTime finishedAt;
    @Column(name = "prev_reset_at")
    public LocalDateTime prevResetAt;
    @Column(name = "prev_hard_reset_at")
    public LocalDateTime prevHardResetAt;
}
