"""Literal files and replies for the draft tests, written the way capable models write them."""

from __future__ import annotations

STORE = '''"""A tiny inventory."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Store:
    """Items in stock, by name."""

    name: str
    items: dict[str, int] = field(default_factory=dict)

    def add(self, item: str, qty: int) -> None:
        """Put ``qty`` of ``item`` in stock."""
        self.items[item] = self.items.get(item, 0) + qty

    def remove(self, item: str, qty: int) -> None:
        self.items[item] = self.items.get(item, 0) - qty

    @property
    def total(self) -> int:
        return sum(self.items.values())


def open_store(name: str) -> Store:
    return Store(name)
'''

# Asked for "the new or corrected functions": the class holding only its two methods.
CLASS_PARTIAL = '''Here are the changes to `Store`: `remove` now refuses to go below zero, and
`low_stock` lists what is running out.

```python
class Store:
    def remove(self, item: str, qty: int) -> None:
        """Take ``qty`` of ``item`` out of stock.

        Raises ValueError when fewer than ``qty`` are in stock.
        """
        have = self.items.get(item, 0)
        if qty > have:
            raise ValueError(f"cannot remove {qty} {item}: only {have} in stock")
        self.items[item] = have - qty

    def low_stock(self, threshold: int) -> list[str]:
        """Names of the items with fewer than ``threshold`` in stock, sorted."""
        return sorted(item for item, qty in self.items.items() if qty < threshold)
```

`remove` checks before it subtracts, so a failed call leaves the stock unchanged.
'''

SEARCH_REPLACE = """I'll make `remove` check the stock first and add `low_stock`.

src/store.py
```python
<<<<<<< SEARCH
    def remove(self, item: str, qty: int) -> None:
        self.items[item] = self.items.get(item, 0) - qty
=======
    def remove(self, item: str, qty: int) -> None:
        have = self.items.get(item, 0)
        if qty > have:
            raise ValueError(f"cannot remove {qty} {item}: only {have} in stock")
        self.items[item] = have - qty

    def low_stock(self, threshold: int) -> list[str]:
        return sorted(item for item, qty in self.items.items() if qty < threshold)
>>>>>>> REPLACE
```

tests/test_store.py
```python
<<<<<<< SEARCH
=======
import pytest

from store import Store


def test_remove_more_than_in_stock_raises() -> None:
    store = Store("corner")
    store.add("apple", 2)
    with pytest.raises(ValueError):
        store.remove("apple", 3)
    assert store.items["apple"] == 2


def test_low_stock_lists_items_below_threshold() -> None:
    store = Store("corner")
    store.add("apple", 1)
    store.add("pear", 5)
    assert store.low_stock(2) == ["apple"]
>>>>>>> REPLACE
```
"""

MODULE = '''"""Helpers."""

import os

LIMIT = 3


def old_name(path: str) -> str:
    return os.path.basename(path)


def other(x: int) -> int:
    return x + LIMIT


if __name__ == "__main__":
    print(old_name("/a/b"))
'''

NESTED = """class A:
    class B:
        def f(self):
            return 1

        def g(self):
            return 2

    def h(self):
        return 3
"""
