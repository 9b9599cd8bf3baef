"""A small web shop backend: catalog, cart pricing, order export, HTTP API."""

__version__ = "1.4.1"
