import pytest

from shop.pricing import Cart, percent_of


def test_empty_cart_costs_nothing(catalog):
    assert Cart(catalog).quote().as_dict() == {"subtotal": 0, "discount": 0, "tax": 0, "total": 0}


def test_subtotal_adds_lines(catalog):
    cart = Cart(catalog)
    cart.add("MUG-01", 2)
    cart.add("TEE-M")
    assert cart.subtotal() == 2 * 1299 + 2450


def test_adding_same_sku_merges_lines(catalog):
    cart = Cart(catalog)
    cart.add("BAG-01")
    cart.add("BAG-01", 2)
    assert cart.lines == {"BAG-01": 3}


def test_remove_drops_line_at_zero(catalog):
    cart = Cart(catalog)
    cart.add("MUG-01", 2)
    cart.remove("MUG-01")
    assert cart.lines == {"MUG-01": 1}
    cart.remove("MUG-01", 5)
    assert cart.lines == {}


def test_rejects_bad_quantity_and_unknown_sku(catalog):
    cart = Cart(catalog)
    with pytest.raises(ValueError):
        cart.add("MUG-01", 0)
    with pytest.raises(KeyError):
        cart.add("NOPE")


def test_tax_without_coupon(catalog):
    cart = Cart(catalog)
    cart.add("TEE-M", 2)  # 4900
    assert cart.quote().as_dict() == {"subtotal": 4900, "discount": 0, "tax": 980, "total": 5880}


def test_coupon_discount_before_tax(catalog):
    cart = Cart(catalog)
    cart.add("TEE-M", 2)  # 4900
    cart.apply_coupon("welcome10")
    assert cart.quote().as_dict() == {"subtotal": 4900, "discount": 490, "tax": 882, "total": 5292}


def test_percent_discount_rounds_half_up(catalog):
    # 15% of 10.05 is 1.5075: the customer gets 1.51 off, not 1.50.
    cart = Cart(catalog)
    cart.add("STK-05", 3)  # 1005
    cart.apply_coupon("SPRING15")
    quote = cart.quote()
    assert quote.discount == 151
    assert quote.total == 854 + 171


def test_unknown_coupon_is_rejected(catalog):
    cart = Cart(catalog)
    with pytest.raises(KeyError):
        cart.apply_coupon("FREESTUFF")
    assert cart.coupon is None


def test_percent_of_exact_amounts():
    assert percent_of(1000, 10) == 100
    assert percent_of(999, 100) == 999
    assert percent_of(0, 30) == 0
