package com.proxyvault.orders.catalog;

import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

@ApplicationScoped
public class CatalogService {

    public Uni<List<ProductView>> activeProducts() {
        return Product.<Product>list("active = true order by id")
                .chain(products -> Pricing.<Pricing>list("active = true order by id")
                        .map(pricings -> {
                            Map<Long, List<Pricing>> byProduct = pricings.stream()
                                    .collect(Collectors.groupingBy(p -> p.productId));
                            return products.stream()
                                    .map(p -> ProductView.of(p, byProduct.getOrDefault(p.id, List.of())))
                                    .toList();
                        }));
    }

    /** The product and tier an order is for; 404 when either is unknown, retired, or they don't belong together. */
    public Uni<Selection> select(long productId, long pricingId) {
        return Product.<Product>findById(productId).chain(product -> {
            if (product == null || !product.active) {
                return Uni.createFrom().failure(ApiException.notFound("Product not found"));
            }
            return Pricing.<Pricing>findById(pricingId).map(pricing -> {
                if (pricing == null || !pricing.active || !pricing.productId.equals(product.id)) {
                    throw ApiException.notFound("Pricing not found for this product");
                }
                return new Selection(product, pricing);
            });
        });
    }

    public record Selection(Product product, Pricing pricing) {
    }
}
