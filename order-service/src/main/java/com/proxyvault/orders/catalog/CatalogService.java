package com.proxyvault.orders.catalog;

import com.proxyvault.platform.http.ApiException;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The catalog: what resellers can buy ({@link #activeProducts}, {@link #select}) and the operators' edits of it
 * (docs/operations.md "The catalog"): list everything, add a product or a pricing tier, rename, reprice, retire
 * and re-activate. Orders snapshot name, label, price and period when they are created (OrderService), so no
 * edit here ever changes an existing order or what it is charged.
 */
@ApplicationScoped
public class CatalogService {

    private static final Logger LOG = Logger.getLogger(CatalogService.class);

    /**
     * Active products with their active tiers, for resellers. A product without an active tier is left out:
     * it cannot be bought (a new product before its first tier, or one whose tiers were all retired).
     */
    public Uni<List<ProductView>> activeProducts() {
        return Product.<Product>list("active = true order by id")
                .chain(products -> Pricing.<Pricing>list("active = true order by id")
                        .map(pricings -> {
                            Map<Long, List<Pricing>> byProduct = pricings.stream()
                                    .collect(Collectors.groupingBy(p -> p.productId));
                            return products.stream()
                                    .filter(p -> byProduct.containsKey(p.id))
                                    .map(p -> ProductView.of(p, byProduct.get(p.id)))
                                    .toList();
                        }));
    }

    /** Every product, retired ones too, with every tier, by id: the operators' list. */
    @WithSession
    public Uni<List<CatalogAdminView>> allProducts() {
        return Product.<Product>list("order by id")
                .chain(products -> Pricing.<Pricing>list("order by id")
                        .map(pricings -> {
                            Map<Long, List<Pricing>> byProduct = pricings.stream()
                                    .collect(Collectors.groupingBy(p -> p.productId));
                            return products.stream()
                                    .map(p -> CatalogAdminView.of(p, byProduct.getOrDefault(p.id, List.of())))
                                    .toList();
                        }));
    }

    /** One product as operators see it; 404 "Product not found". */
    @WithSession
    public Uni<CatalogAdminView> product(long productId) {
        return adminView(productId);
    }

    /** A new product, active, with the given tiers (possibly none yet: then resellers do not see it). 409 on a taken name. */
    @WithTransaction
    public Uni<CatalogAdminView> addProduct(NewProduct request, String operator) {
        return Product.<Product>find("lower(name) = lower(?1)", request.name()).firstResult().chain(taken -> {
            if (taken != null) {
                return Uni.createFrom().failure(nameTaken(taken));
            }
            Product product = new Product();
            product.name = request.name();
            product.description = request.description();
            product.active = true;
            return product.<Product>persistAndFlush()
                    .chain(saved -> Multi.createFrom().iterable(request.pricing())
                            .onItem().transformToUniAndConcatenate(tier -> newPricing(saved.id, tier).persistAndFlush())
                            .collect().asList()
                            .invoke(() -> LOG.infof("Operator %s added product %d '%s' with %d pricing tiers", operator,
                                    saved.id, saved.name, request.pricing().size()))
                            .chain(() -> adminView(saved.id)));
        }).onFailure(CatalogService::isUniqueViolation)
                .transform(e -> ApiException.conflict("A product named '" + request.name() + "' already exists"));
    }

    /** Renames, re-describes, retires ({@code active: false}) or re-activates a product; null fields stay. */
    @WithTransaction
    public Uni<CatalogAdminView> changeProduct(long productId, ProductChange change, String operator) {
        return Product.<Product>findById(productId)
                .onItem().ifNull().failWith(() -> ApiException.notFound("Product not found"))
                .chain(product -> (change.name() == null || change.name().equalsIgnoreCase(product.name)
                        ? Uni.createFrom().<Product>nullItem()
                        : Product.<Product>find("lower(name) = lower(?1) and id <> ?2", change.name(), productId).firstResult())
                        .chain(taken -> {
                            if (taken != null) {
                                return Uni.createFrom().failure(nameTaken(taken));
                            }
                            LOG.infof("Operator %s changed product %d: %s", operator, productId, change);
                            if (change.name() != null) {
                                product.name = change.name();
                            }
                            if (change.description() != null) {
                                product.description = change.description();
                            }
                            if (change.active() != null) {
                                product.active = change.active();
                            }
                            return product.<Product>persistAndFlush().chain(() -> adminView(productId));
                        }))
                .onFailure(CatalogService::isUniqueViolation)
                .transform(e -> ApiException.conflict("A product named '" + change.name() + "' already exists"));
    }

    /**
     * 409 for a name another product has, ignoring case: it names that product as stored, with its id
     * (docs/operations.md section 8; a new-user review found the request's spelling quoted instead).
     */
    private static ApiException nameTaken(Product existing) {
        return ApiException.conflict("A product named '" + existing.name + "' (id " + existing.id
                + ") already exists; names are unique ignoring case");
    }

    /** A new active tier of product {@code productId}; 404 unknown product, 409 a label the product has. */
    @WithTransaction
    public Uni<CatalogAdminView.PricingAdminView> addPricing(long productId, NewPricing tier, String operator) {
        return Product.<Product>findById(productId)
                .onItem().ifNull().failWith(() -> ApiException.notFound("Product not found"))
                .chain(product -> labelTaken(productId, tier.label(), -1))
                .chain(() -> newPricing(productId, tier).<Pricing>persistAndFlush())
                .invoke(saved -> LOG.infof("Operator %s added pricing %d '%s' (%s per %d %s) to product %d", operator,
                        saved.id, saved.label, saved.price.toPlainString(), saved.periodDuration, saved.periodType, productId))
                .map(CatalogAdminView.PricingAdminView::of)
                .onFailure(CatalogService::isUniqueViolation)
                .transform(e -> labelConflict(tier.label()));
    }

    /**
     * Relabels, reprices, retires or re-activates a tier; null fields stay. A new price applies to orders created
     * from now on (and to the auto-renewals they cause); an existing order keeps the amount it was created with.
     * The period is not changeable: it is what the tier's id means to every proxy bought on it (add a tier and
     * retire this one instead).
     */
    @WithTransaction
    public Uni<CatalogAdminView.PricingAdminView> changePricing(long pricingId, PricingChange change, String operator) {
        return Pricing.<Pricing>findById(pricingId)
                .onItem().ifNull().failWith(() -> ApiException.notFound("Pricing not found"))
                .chain(pricing -> (change.label() == null ? Uni.createFrom().voidItem()
                        : labelTaken(pricing.productId, change.label(), pricing.id))
                        .chain(() -> {
                            LOG.infof("Operator %s changed pricing %d (was '%s', %s, active %s): %s", operator, pricingId,
                                    pricing.label, pricing.price.toPlainString(), pricing.active, change);
                            if (change.label() != null) {
                                pricing.label = change.label();
                            }
                            if (change.price() != null) {
                                pricing.price = change.price();
                            }
                            if (change.active() != null) {
                                pricing.active = change.active();
                            }
                            return pricing.<Pricing>persistAndFlush();
                        }))
                .map(CatalogAdminView.PricingAdminView::of)
                .onFailure(CatalogService::isUniqueViolation)
                .transform(e -> labelConflict(change.label()));
    }

    private static Pricing newPricing(long productId, NewPricing tier) {
        Pricing pricing = new Pricing();
        pricing.productId = productId;
        pricing.label = tier.label();
        pricing.price = tier.price();
        pricing.periodType = tier.periodType();
        pricing.periodDuration = tier.periodDuration();
        pricing.active = true;
        return pricing;
    }

    private static Uni<Void> labelTaken(long productId, String label, long exceptPricingId) {
        return Pricing.count("productId = ?1 and lower(label) = lower(?2) and id <> ?3", productId, label, exceptPricingId)
                .map(taken -> {
                    if (taken > 0) {
                        throw labelConflict(label);
                    }
                    return null;
                });
    }

    private static ApiException labelConflict(String label) {
        return ApiException.conflict("This product already has a pricing labelled '" + label + "'");
    }

    private static Uni<CatalogAdminView> adminView(long productId) {
        return Product.<Product>findById(productId)
                .onItem().ifNull().failWith(() -> ApiException.notFound("Product not found"))
                .chain(product -> Pricing.<Pricing>list("productId = ?1 order by id", productId)
                        .map(pricings -> CatalogAdminView.of(product, pricings)));
    }

    /** A race the count did not see: the unique indexes of V7 (names ignoring case, labels per product). */
    private static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains("products_name_key") || message.contains("pricings_label_key"))) {
                return true;
            }
        }
        return false;
    }

    /** A product to add, checked: name, description ("" when absent), and its first tiers (maybe none). */
    public record NewProduct(String name, String description, List<NewPricing> pricing) {
    }

    /** A tier to add, checked: price scale 2, period one of {@link Pricing#PERIOD_TYPES}, duration 1..1000. */
    public record NewPricing(String label, BigDecimal price, String periodType, int periodDuration) {
    }

    /** A product's change, checked; null = unchanged. */
    public record ProductChange(String name, String description, Boolean active) {
    }

    /** A tier's change, checked; null = unchanged. */
    public record PricingChange(String label, BigDecimal price, Boolean active) {
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
