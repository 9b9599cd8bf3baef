import json
import threading
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

from shop import __version__
from shop.server import ShopApp, make_handler


@pytest.fixture
def app(catalog, tmp_path):
    return ShopApp(catalog, tmp_path / "exports")


def test_health(app):
    assert app.handle("GET", "/health", {}) == (200, {"status": "ok", "version": __version__})


def test_products_lists_catalog(app):
    status, body = app.handle("GET", "/products", {})
    assert status == 200
    assert {"sku": "STK-05", "name": "Sticker pack", "price": 335} in body["products"]


def test_quote_and_order(app):
    body = {"items": {"TEE-M": 2}, "coupon": "WELCOME10", "customer": "ada@example.com"}
    assert app.handle("POST", "/quote", body) == (
        200,
        {"subtotal": 4900, "discount": 490, "tax": 882, "total": 5292},
    )
    status, order = app.handle("POST", "/orders", body)
    assert status == 201
    assert order["total"] == 5292
    assert len(app.orders) == 1


def test_bad_requests_get_400(app):
    assert app.handle("POST", "/orders", {"items": {"TEE-M": 1}})[0] == 400
    assert app.handle("POST", "/orders", {"customer": "x"})[0] == 400
    assert app.handle("POST", "/quote", {"items": {"NOPE": 1}})[0] == 400
    assert app.handle("POST", "/quote", {"items": ["TEE-M"]})[0] == 400
    assert app.handle("POST", "/quote", {"items": {"TEE-M": 1}, "coupon": "BOGUS"})[0] == 400


def test_unknown_route_is_404(app):
    assert app.handle("DELETE", "/orders", {})[0] == 404


def test_export_endpoint(app):
    app.handle("POST", "/orders", {"items": {"MUG-01": 1}, "customer": "ada@example.com"})
    status, body = app.handle("POST", "/exports", {"name": "daily"})
    assert (status, body) == (201, {"file": "daily.csv.gz", "orders": 1})
    assert (app.export_dir / "daily.csv.gz").exists()


def test_export_endpoint_rejects_shell_metacharacters(app):
    status, body = app.handle("POST", "/exports", {"name": "daily; rm -rf ~"})
    assert status == 400
    assert "invalid export name" in body["error"]


def test_over_a_real_socket(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(app))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        request = urllib.request.Request(
            base + "/quote",
            data=json.dumps({"items": {"BAG-01": 2}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            assert json.load(response) == {"subtotal": 3750, "discount": 0, "tax": 750, "total": 4500}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
