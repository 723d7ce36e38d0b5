"""Catalogue import and upsert. Every row is checked first; the valid rows are then
written in one transaction (insert or update by SKU) and the bad ones are reported
with their row number, so a file never goes in half-written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from domain.audit import services as audit
from domain.auth.model import Principal
from domain.catalog import store
from domain.db import in_transaction
from domain.errors import InvalidInput, InvalidRow

CHUNK = 500


@dataclass(frozen=True)
class ProductIn:
    sku: str
    name: str
    category_path: str
    price_fen: int
    brand: str = ""
    excluded_from_points: bool = False


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, sku, problem)


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "n"):
        return False
    if text in ("1", "true", "yes", "y"):
        return True
    raise ValueError(f"not a yes/no value: {value!r}")


def parse_row(raw: dict) -> ProductIn:
    """A product from one CSV/JSON row (InvalidInput naming the field at fault)."""
    sku = str(raw.get("sku") or "").strip()
    if not sku or len(sku) > 32:
        raise InvalidInput("sku is 1-32 characters.", field="sku")
    name = " ".join(str(raw.get("name") or "").split())
    if not name or len(name) > 128:
        raise InvalidInput("name is 1-128 characters.", field="name")
    category = str(raw.get("category_path") or "").strip().strip("/")
    if not category or len(category) > 128:
        raise InvalidInput(
            "category_path is 1-128 characters, e.g. 生鲜/水果.", field="category_path"
        )
    try:
        price = int(str(raw.get("price_fen", "")).strip())
    except ValueError:
        raise InvalidInput("price_fen is a whole number of fen.", field="price_fen") from None
    if price < 0:
        raise InvalidInput("price_fen cannot be negative.", field="price_fen")
    try:
        excluded = _bool(raw.get("excluded_from_points", False))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="excluded_from_points") from None
    brand = str(raw.get("brand") or "").strip()[:64]
    return ProductIn(sku, name, category, price, brand, excluded)


def read_rows(path: Path) -> tuple[list[dict], int]:
    """The rows of a .json (a list of objects) or .csv (with a header) file, and the
    number of the first data row, for error reports."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read {path}: {exc}", field="file") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"Not valid JSON: {exc}", field="file") from None
        if not isinstance(data, list):
            raise InvalidInput("A JSON import is a list of product objects.", field="file")
        return [r if isinstance(r, dict) else {} for r in data], 1
    return list(csv.DictReader(io.StringIO(text))), 2


async def upsert(products: list[ProductIn]) -> tuple[int, int]:
    """Insert or update by SKU inside the caller's transaction; (created, updated)."""
    created = await store.upsert_by_sku([vars(p) for p in products], CHUNK)
    return created, len(products) - created


async def import_rows(
    rows: Iterable[dict],
    progress: Callable[[int], None] = lambda _n: None,
    *,
    first_row: int = 1,
) -> ImportReport:
    """``first_row``: the number of the first data row in the file (2 after a CSV header)."""
    report = ImportReport()
    valid: dict[str, ProductIn] = {}
    for number, raw in enumerate(rows, start=first_row):
        try:
            product = parse_row(raw)
        except InvalidInput as exc:
            report.errors.append((number, str(raw.get("sku") or ""), f"{exc.field}: {exc.message}"))
            continue
        if product.sku in valid:
            report.errors.append((number, product.sku, "sku: repeated in this file"))
            continue
        valid[product.sku] = product
    items = list(valid.values())
    async with in_transaction():
        for start in range(0, len(items), CHUNK):
            created, updated = await upsert(items[start : start + CHUNK])
            report.created += created
            report.updated += updated
            progress(min(start + CHUNK, len(items)))
    return report


MAX_BATCH = 500


async def upsert_all(actor: Principal, rows: list[dict]) -> tuple[int, int]:
    """The products of one API call: all valid or nothing written (InvalidRow names the
    first bad one), upserted by SKU, audited."""
    if not 1 <= len(rows) <= MAX_BATCH:
        raise InvalidInput(f"Send 1-{MAX_BATCH} products at a time.", field="products")
    products = []
    for n, raw in enumerate(rows, start=1):
        try:
            products.append(parse_row(raw))
        except InvalidInput as exc:
            raise InvalidRow(exc.message, field=exc.field, row=n) from None
    if len({p.sku for p in products}) != len(products):
        raise InvalidInput("A SKU appears twice.", field="products")
    async with in_transaction():
        created, updated = await upsert(products)
        await audit.record(actor, "catalog.upsert", "product", "", created=created, updated=updated)
    return created, updated
