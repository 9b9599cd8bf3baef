"""Product catalog and coupon table, loaded from a YAML file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import yaml


class CatalogError(ValueError):
    """The catalog file is malformed."""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: int  # cents


@dataclass(frozen=True)
class Catalog:
    products: Dict[str, Product]
    coupons: Dict[str, int]  # code -> percent off
    tax_rate_percent: int

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise KeyError(f"unknown product {sku!r}") from None

    def coupon_percent(self, code: str) -> int:
        try:
            return self.coupons[code.strip().upper()]
        except KeyError:
            raise KeyError(f"unknown coupon {code!r}") from None


def parse_catalog(text: str) -> Catalog:
    """Parse catalog YAML. Only plain data is accepted (safe_load)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CatalogError("catalog must be a mapping")
    products: Dict[str, Product] = {}
    for entry in data.get("products") or []:
        try:
            product = Product(str(entry["sku"]), str(entry["name"]), int(entry["price"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"bad product entry {entry!r}") from exc
        if product.price < 0:
            raise CatalogError(f"negative price for {product.sku}")
        if product.sku in products:
            raise CatalogError(f"duplicate sku {product.sku}")
        products[product.sku] = product
    coupons = {}
    for code, percent in (data.get("coupons") or {}).items():
        percent = int(percent)
        if not 0 < percent <= 100:
            raise CatalogError(f"coupon {code} must be 1..100 percent, got {percent}")
        coupons[str(code).upper()] = percent
    tax = int(data.get("tax_rate_percent", 0))
    return Catalog(products, coupons, tax)


def load_catalog(path: Path) -> Catalog:
    return parse_catalog(Path(path).read_text(encoding="utf-8"))
