package com.proxyvault.orders.catalog;

import com.fasterxml.jackson.annotation.JsonFormat;

import java.math.BigDecimal;
import java.util.List;

/** A product as the seed's {@code GET /products} shows it. */
public record ProductView(long id, String name, String description, List<PricingView> pricing) {

    static ProductView of(Product product, List<Pricing> pricings) {
        return new ProductView(product.id, product.name, product.description,
                pricings.stream().map(PricingView::of).toList());
    }

    public record PricingView(long id, String label, @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal price,
                              String periodType, int periodDuration) {
        static PricingView of(Pricing p) {
            return new PricingView(p.id, p.label, p.price, p.periodType, p.periodDuration);
        }
    }
}
