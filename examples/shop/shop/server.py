"""A tiny JSON API over http.server (standard library only).

  GET  /health            -> {"status": "ok", "version": ...}
  GET  /products          -> the price list
  POST /quote             {"items": {"SKU": qty}, "coupon": "CODE"} -> the quote
  POST /orders            same body plus "customer" -> the placed order
  POST /exports           {"name": "daily"} -> writes <export_dir>/daily.csv.gz
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Tuple

from . import __version__
from .catalog import Catalog, load_catalog
from .export import OrderBook, export_orders
from .pricing import Cart

MAX_BODY = 64 * 1024


class ShopApp:
    """The request logic, kept apart from the socket handling so it is easy to test."""

    def __init__(self, catalog: Catalog, export_dir: Path) -> None:
        self.catalog = catalog
        self.export_dir = Path(export_dir)
        self.orders = OrderBook()

    def handle(self, method: str, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        try:
            if method == "GET" and path == "/health":
                return HTTPStatus.OK, {"status": "ok", "version": __version__}
            if method == "GET" and path == "/products":
                return HTTPStatus.OK, {
                    "products": [
                        {"sku": p.sku, "name": p.name, "price": p.price}
                        for p in self.catalog.products.values()
                    ]
                }
            if method == "POST" and path == "/quote":
                return HTTPStatus.OK, self._cart(body).quote().as_dict()
            if method == "POST" and path == "/orders":
                customer = str(body.get("customer") or "").strip()
                if not customer:
                    return HTTPStatus.BAD_REQUEST, {"error": "customer is required"}
                cart = self._cart(body)
                if not cart.lines:
                    return HTTPStatus.BAD_REQUEST, {"error": "cart is empty"}
                order = self.orders.place(customer, sum(cart.lines.values()), cart.quote())
                return HTTPStatus.CREATED, {"order_id": order.order_id, **order.quote.as_dict()}
            if method == "POST" and path == "/exports":
                written = export_orders(self.orders, self.export_dir, str(body.get("name", "")))
                return HTTPStatus.CREATED, {"file": written.name, "orders": len(self.orders)}
        except (KeyError, ValueError, TypeError) as exc:
            return HTTPStatus.BAD_REQUEST, {"error": str(exc).strip("'\"")}
        return HTTPStatus.NOT_FOUND, {"error": f"no route for {method} {path}"}

    def _cart(self, body: Dict[str, Any]) -> Cart:
        cart = Cart(self.catalog)
        items = body.get("items") or {}
        if not isinstance(items, dict):
            raise ValueError("items must be an object of sku -> quantity")
        for sku, qty in items.items():
            cart.add(str(sku), int(qty))
        if body.get("coupon"):
            cart.apply_coupon(str(body["coupon"]))
        return cart


def make_handler(app: ShopApp):
    class Handler(BaseHTTPRequestHandler):
        server_version = f"shop/{__version__}"

        def _respond(self, status: int, payload: Dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._respond(*app.handle("GET", self.path, {}))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._respond(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._respond(HTTPStatus.BAD_REQUEST, {"error": "body is not JSON"})
                return
            if not isinstance(body, dict):
                self._respond(HTTPStatus.BAD_REQUEST, {"error": "body must be a JSON object"})
                return
            self._respond(*app.handle("POST", self.path, body))

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

    return Handler


def serve(catalog_path: Path, export_dir: Path, host: str = "0.0.0.0", port: int = 8080) -> None:
    """Run the shop until interrupted (inside the container, so listen on all interfaces)."""
    app = ShopApp(load_catalog(catalog_path), export_dir)
    with ThreadingHTTPServer((host, port), make_handler(app)) as server:
        server.serve_forever()


if __name__ == "__main__":  # python -m shop.server
    serve(Path(__file__).resolve().parent.parent / "catalog.yml", Path("exports"))
