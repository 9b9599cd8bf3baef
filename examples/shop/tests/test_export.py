import gzip

import pytest

from shop.export import OrderBook, export_orders, to_csv
from shop.pricing import Quote


@pytest.fixture
def book():
    book = OrderBook()
    book.place("ada@example.com", 2, Quote(2598, 0, 520, 3118))
    book.place("grace@example.com", 3, Quote(1005, 151, 171, 1025))
    return book


def test_order_ids_are_sequential_and_unique(book):
    ids = [order.order_id for order in book]
    assert [i.split("-")[0] for i in ids] == ["00001", "00002"]
    assert len(set(ids)) == 2


def test_csv_has_header_and_one_row_per_order(book):
    lines = to_csv(book).splitlines()
    assert lines[0] == "order_id,customer,items,subtotal,discount,tax,total"
    assert len(lines) == 3
    assert lines[2].endswith(",grace@example.com,3,1005,151,171,1025")


def test_csv_quotes_awkward_customer_names():
    book = OrderBook()
    book.place('O\'Brien, "Pat"', 1, Quote(100, 0, 20, 120))
    assert '"O\'Brien, ""Pat"""' in to_csv(book)


def test_export_writes_gzipped_csv(tmp_path, book):
    path = export_orders(book, tmp_path / "exports", "daily-2024_06")
    assert path.name == "daily-2024_06.csv.gz"
    assert not (tmp_path / "exports" / "daily-2024_06.csv").exists()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        assert f.read() == to_csv(book)


@pytest.mark.parametrize("name", ["x; touch pwned", "../../etc/cron.d/x", "$(id)"])
def test_export_rejects_unsafe_names(tmp_path, book, name):
    with pytest.raises(ValueError):
        export_orders(book, tmp_path, name)
    assert list(tmp_path.iterdir()) == []
