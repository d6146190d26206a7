package com.proxyvault.fleet.locations;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A city modems sit in; its id (LAX, NYC, MIA) is what resellers pass as location_id. */
@Entity
@Table(name = "locations")
public class Location extends PanacheEntityBase {
    @Id
    public String id;
    public String name;
    @Column(name = "is_5g")
    @JsonProperty("is_5g")
    public boolean is5g;
}
