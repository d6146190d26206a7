package com.proxyvault.orders.catalog;

import com.fasterxml.jackson.annotation.JsonFormat;

import java.math.BigDecimal;
import java.util.List;

/**
 * A product as operators see it: retired ones too, each with {@code active}, and every pricing tier with its
 * own {@code active} (resellers see only active products and their active tiers, {@link ProductView}).
 */
public record CatalogAdminView(long id, String name, String description, boolean active, List<PricingAdminView> pricing) {

    static CatalogAdminView of(Product product, List<Pricing> pricings) {
        return new CatalogAdminView(product.id, product.name, product.description, product.active,
                pricings.stream().map(PricingAdminView::of).toList());
    }

    /** {@code price}: money string; what new orders of this tier are charged (an order keeps its own amount). */
    public record PricingAdminView(long id, long productId, String label,
                                   @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal price,
                                   String periodType, int periodDuration, boolean active) {
        static PricingAdminView of(Pricing p) {
            return new PricingAdminView(p.id, p.productId, p.label, p.price, p.periodType, p.periodDuration, p.active);
        }
    }
}
