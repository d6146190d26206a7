package com.proxyvault.platform.events;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.util.UUID;

/** A row the test consumers write as their effect (and the entity that switches Hibernate Reactive on). */
@Entity
@Table(name = "effects")
public class Effect {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @jakarta.persistence.Column(name = "event_id")
    public UUID eventId;
    public String note;
}
