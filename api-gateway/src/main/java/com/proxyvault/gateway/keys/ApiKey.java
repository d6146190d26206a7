package com.proxyvault.gateway.keys;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.LocalDateTime;

@Entity
@Table(name = "api_keys")
public class ApiKey extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "reseller_id")
    public long resellerId;
    public String name;
    @Column(name = "key_prefix")
    public String keyPrefix;
    @Column(name = "key_hash")
    public String keyHash;
    @Column(name = "created_at")
    public LocalDateTime createdAt;
    @Column(name = "last_used_at")
    public LocalDateTime lastUsedAt;
    @Column(name = "revoked_at")
    public LocalDateTime revokedAt;
}
