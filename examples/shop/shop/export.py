"""Order book and order export (CSV, gzip-compressed) for the accounting team."""

from __future__ import annotations

import csv
import gzip
import io
import os
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List

from .pricing import Quote

FIELDS = ["order_id", "customer", "items", "subtotal", "discount", "tax", "total"]

# Export names end up in a file name: letters, digits, '-' and '_' only.
_EXPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Order:
    order_id: str
    customer: str
    items: int
    quote: Quote


class OrderBook:
    def __init__(self) -> None:
        self._orders: List[Order] = []

    def place(self, customer: str, items: int, quote: Quote) -> Order:
        # Order references only need to be hard to confuse, not unguessable.
        ref = "".join(random.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        order = Order(f"{len(self._orders) + 1:05d}-{ref}", customer, items, quote)
        self._orders.append(order)
        return order

    def __iter__(self):
        return iter(self._orders)

    def __len__(self) -> int:
        return len(self._orders)


def to_csv(orders: Iterable[Order]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for order in orders:
        q = order.quote
        writer.writerow(
            [order.order_id, order.customer, order.items, q.subtotal, q.discount, q.tax, q.total]
        )
    return out.getvalue()


def check_export_name(name: str) -> str:
    if not _EXPORT_NAME.fullmatch(name):
        raise ValueError(f"invalid export name {name!r}")
    return name


def export_orders(orders: Iterable[Order], export_dir: Path, name: str) -> Path:
    """Write the orders as `<export_dir>/<name>.csv.gz` and return its path."""
    check_export_name(name)
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    csv_path = export_dir / f"{name}.csv"
    csv_path.write_text(to_csv(orders), encoding="utf-8")
    return archive(csv_path)


def archive(csv_path: Path) -> Path:
    """Compress `csv_path` to `csv_path.gz`, removing the original."""
    gz_path = csv_path.with_name(csv_path.name + ".gz")
    with open(csv_path, "rb") as src, gzip.open(gz_path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.remove(csv_path)
    return gz_path
