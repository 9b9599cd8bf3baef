"""Cart pricing: subtotal, coupon discount, tax. All amounts are integer cents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from .catalog import Catalog


def percent_of(amount: int, percent: int) -> int:
    """`percent`% of `amount` cents, rounded half up to a whole cent."""
    return (amount * percent + 50) // 100


@dataclass(frozen=True)
class Quote:
    subtotal: int
    discount: int
    tax: int
    total: int

    def as_dict(self) -> Dict[str, int]:
        return {
            "subtotal": self.subtotal,
            "discount": self.discount,
            "tax": self.tax,
            "total": self.total,
        }


@dataclass
class Cart:
    catalog: Catalog
    lines: Dict[str, int] = field(default_factory=dict)  # sku -> quantity
    coupon: Optional[str] = None

    def add(self, sku: str, quantity: int = 1) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.catalog.product(sku)  # raises on unknown sku
        self.lines[sku] = self.lines.get(sku, 0) + quantity

    def remove(self, sku: str, quantity: int = 1) -> None:
        left = self.lines.get(sku, 0) - quantity
        if left > 0:
            self.lines[sku] = left
        else:
            self.lines.pop(sku, None)

    def apply_coupon(self, code: str) -> None:
        self.catalog.coupon_percent(code)  # raises on unknown coupon
        self.coupon = code.strip().upper()

    def subtotal(self) -> int:
        return sum(self.catalog.product(sku).price * qty for sku, qty in self.lines.items())

    def quote(self) -> Quote:
        subtotal = self.subtotal()
        discount = 0
        if self.coupon:
            discount = percent_of(subtotal, self.catalog.coupon_percent(self.coupon))
        taxable = subtotal - discount
        tax = percent_of(taxable, self.catalog.tax_rate_percent)
        return Quote(subtotal, discount, tax, taxable + tax)
