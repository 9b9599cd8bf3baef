from pathlib import Path

import pytest

from shop.catalog import load_catalog

CATALOG_FILE = Path(__file__).resolve().parent.parent / "catalog.yml"


@pytest.fixture
def catalog():
    return load_catalog(CATALOG_FILE)
