import pytest

from shop.catalog import CatalogError, parse_catalog


def test_shipped_catalog_loads(catalog):
    assert set(catalog.products) == {"MUG-01", "TEE-M", "STK-05", "BAG-01"}
    assert catalog.product("MUG-01").price == 1299
    assert catalog.tax_rate_percent == 20


def test_coupon_codes_are_case_insensitive(catalog):
    assert catalog.coupon_percent(" spring15 ") == 15


def test_unknown_product_and_coupon(catalog):
    with pytest.raises(KeyError):
        catalog.product("NOPE")
    with pytest.raises(KeyError):
        catalog.coupon_percent("FREESTUFF")


@pytest.mark.parametrize(
    "text",
    [
        "- just a list",
        "products: [{sku: A, name: x, price: 1}, {sku: A, name: y, price: 2}]",
        "coupons: {HALF: 150}",
    ],
)
def test_malformed_catalogs_are_rejected(text):
    with pytest.raises(CatalogError):
        parse_catalog(text)


def test_yaml_tags_are_not_executed():
    # safe_load refuses arbitrary Python object construction.
    with pytest.raises(Exception):
        parse_catalog("!!python/object/apply:os.system ['true']")
