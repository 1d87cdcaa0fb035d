/**
 * A realistic oversized module for the split tests: a shop's inventory module of 600+ lines with
 * a docstring, `from __future__`, stdlib and relative imports, constants, a registering decorator,
 * dataclasses, classes with properties and static methods, private helpers imported by a sibling
 * module, generated validators, `__all__` and a `__main__` block, plus a pytest suite over all of it.
 */
export function shopFixture(): Record<string, string> {
  const validators: string[] = [];
  for (let index = 0; index < 24; index++) {
    validators.push(`
def validate_field_${index}(record: dict) -> list[str]:
    """Check field ${index} of a record: present, a string, and not longer than ${10 + index} characters."""
    errors = []
    value = record.get("field_${index}")
    # Missing fields are reported once, with the field name.
    if value is None:
        errors.append(_message("field_${index}", "missing"))
    elif not isinstance(value, str):
        errors.append(_message("field_${index}", "not a string"))
    elif len(value) > ${10 + index}:
        errors.append(_message("field_${index}", "too long"))
    return errors
`);
  }
  const slugifiers: string[] = [];
  for (let index = 0; index < 16; index++) {
    slugifiers.push(`
def slug_variant_${index}(text: str) -> str:
    """Slugify with separator variant ${index}."""
    return slugify(text).replace("-", SEPARATORS[${index} % len(SEPARATORS)])
`);
  }
  const inventory = `"""Inventory, pricing and events of the shop.

Grown organically; far over the module size limit.
"""
# Copyright the shop authors.

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP
from typing import Callable, Iterable, Optional

from . import config

# ---------------------------------------------------------------- pricing

TAX_RATE = Decimal("0.20")  # standard rate
CURRENCY = config.CURRENCY
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    """An amount in the shop's currency, always rounded to cents."""

    amount: Decimal
    currency: str = CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", Decimal(self.amount).quantize(CENTS, ROUND_HALF_UP))

    def __add__(self, other: "Money") -> "Money":
        return Money(self.amount + other.amount, self.currency)

    def times(self, count: int) -> "Money":
        return Money(self.amount * count, self.currency)

    @property
    def with_tax(self) -> "Money":
        return apply_tax(self)

    @staticmethod
    def zero() -> "Money":
        return Money(Decimal(0))


def apply_tax(money: Money, rate: Decimal = TAX_RATE) -> Money:
    """Adds tax at \`rate\`."""
    return Money(money.amount * (1 + rate), money.currency)


def format_money(money: Money) -> str:
    # Two decimals, currency after the amount, like the invoices do.
    return f"{money.amount:.2f} {money.currency}"


# ---------------------------------------------------------------- inventory

SKU_PATTERN = re.compile(r"^[A-Z]{3}-[0-9]{4}$")


def _normalize_sku(sku: str) -> str:
    """Upper-case and strip a SKU; report.py uses this too."""
    return sku.strip().upper()


@dataclass
class Item:
    sku: str
    name: str
    price: Money
    quantity: int = 0
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sku = _normalize_sku(self.sku)
        if not SKU_PATTERN.match(self.sku):
            raise ValueError(f"bad sku {self.sku!r}")

    @property
    def stock_value(self) -> Money:
        return self.price.times(self.quantity)


class Warehouse:
    """Items by SKU, with stock movements that emit events."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, Item] = {}

    def add(self, item: Item) -> None:
        self._items[item.sku] = item
        emit("item-added", item.sku)

    def get(self, sku: str) -> Optional[Item]:
        return self._items.get(_normalize_sku(sku))

    def remove_stock(self, sku: str, count: int) -> None:
        item = self.get(sku)
        if item is None:
            raise KeyError(sku)
        if item.quantity < count:
            raise ValueError("not enough stock")
        item.quantity -= count
        emit("stock-removed", item.sku)

    def total_value(self) -> Money:
        total = Money.zero()
        for item in self._items.values():
            total = total + item.stock_value
        return total

    def to_json(self) -> str:
        return json.dumps({sku: item.quantity for sku, item in sorted(self._items.items())})


# ---------------------------------------------------------------- events

EVENT_HANDLERS: dict[str, list[Callable[[str], None]]] = {}
EVENT_LOG: list[tuple[str, str]] = []


def register(event: str) -> Callable:
    """Decorator: call the function whenever \`event\` is emitted."""

    def decorate(function: Callable[[str], None]) -> Callable[[str], None]:
        EVENT_HANDLERS.setdefault(event, []).append(function)
        return function

    return decorate


def emit(event: str, payload: str) -> int:
    handlers = EVENT_HANDLERS.get(event, [])
    for handler in handlers:
        handler(payload)
    return len(handlers)


@register("item-added")
def _log_added(sku: str) -> None:
    EVENT_LOG.append(("added", sku))


@register("stock-removed")
def _log_removed(sku: str) -> None:
    EVENT_LOG.append(("removed", sku))


# ---------------------------------------------------------------- validation

MAX_ERRORS = 50


def _message(field_name: str, problem: str) -> str:
    return f"{field_name}: {problem}"

${validators.join("\n")}

VALIDATORS = [${Array.from({ length: 24 }, (_, index) => `validate_field_${index}`).join(", ")}]


def validate(record: dict) -> list[str]:
    """Every validator's errors, at most MAX_ERRORS."""
    errors: list[str] = []
    for validator in VALIDATORS:
        errors.extend(validator(record))
    return errors[:MAX_ERRORS]


# ---------------------------------------------------------------- text

SEPARATORS = ["-", "_", "."]


def slugify(text: str) -> str:
    """Lower-case words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)

${slugifiers.join("\n")}

def describe(items: Iterable[Item]) -> str:
    return ", ".join(f"{slugify(item.name)}={format_money(item.price)}" for item in items)


__all__ = ["Money", "Item", "Warehouse", "validate", "slugify", "emit", "register"]

if __name__ == "__main__":
    house = Warehouse("main")
    house.add(Item("abc-0001", "Blue Mug", Money(Decimal("4.5")), 3))
    print(format_money(house.total_value()), house.to_json())
`;
  const tests = `from decimal import Decimal

import pytest

from shop import inventory
from shop.inventory import Item, Money, Warehouse, validate, slugify, EVENT_LOG
from shop.report import stock_report


def test_money_rounds_and_adds():
    assert Money(Decimal("1.005")) + Money(Decimal("2")) == Money(Decimal("3.01"))
    assert inventory.format_money(Money(Decimal("2")).with_tax) == "2.40 EUR"


def test_warehouse_moves_stock_and_logs_events():
    house = Warehouse("w")
    house.add(Item(" abc-0001 ", "Blue Mug", Money(Decimal("4.50")), 3))
    house.remove_stock("ABC-0001", 2)
    assert house.get("abc-0001").quantity == 1
    assert ("added", "ABC-0001") in EVENT_LOG and ("removed", "ABC-0001") in EVENT_LOG
    assert house.total_value() == Money(Decimal("4.50"))
    assert house.to_json() == '{"ABC-0001": 1}'
    with pytest.raises(ValueError):
        house.remove_stock("ABC-0001", 5)


def test_bad_sku_is_rejected():
    with pytest.raises(ValueError):
        Item("nope", "x", Money.zero())


def test_validators_and_text():
    record = {f"field_{index}": "x" for index in range(24)}
    assert validate(record) == []
    del record["field_3"]
    record["field_0"] = "y" * 40
    assert validate(record) == ["field_0: too long", "field_3: missing"]
    assert slugify("Blue Mug!") == "blue-mug"
    assert inventory.slug_variant_1("Blue Mug") == "blue_mug"
    assert len(inventory.VALIDATORS) == 24


def test_report_uses_private_helper():
    assert stock_report([Item("abc-0002", "Red Mug", Money(Decimal("1")), 2)]) == "ABC-0002: 2"
`;
  return {
    "shop/__init__.py": "",
    "shop/config.py": 'CURRENCY = "EUR"\n',
    "shop/inventory.py": inventory,
    "shop/report.py": "from shop.inventory import _normalize_sku, Item\n\n\ndef stock_report(items: list[Item]) -> str:\n    return \"; \".join(f\"{_normalize_sku(item.sku)}: {item.quantity}\" for item in items)\n",
    "tests/test_inventory.py": tests,
  };
}
