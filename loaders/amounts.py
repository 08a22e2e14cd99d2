"""Yen amounts as sources write them: 191.5億円, 3,253,744千円, 52億7000万円, 約 475 億円 (PDF text).

The units are the reference vocabulary's (``hkg:AmountUnit`` markers, read through the
lexicon); a compound amount counts down through them (億 then 万円). The unit an
amount is stated in is its last, smallest one: it gives the figure's precision.

>>> from healthkg.loaders.lexicon import default_lexicon
>>> [(str(a.yen), a.unit) for a in stated_amounts("FY2015 予算案 52億7000万円 (draft)", default_lexicon().units)]
[('5270000000', '万円')]
>>> [(str(a.yen), a.unit) for a in stated_amounts("要求額 3,253,744千円; 49億9,600万円", default_lexicon().units)]
[('3253744000', '千円'), ('4996000000', '万円')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from healthkg.loaders.normalize import normalize

_NUMBER = r"\d[\d,]*(?:\.\d+)?"


@dataclass(frozen=True)
class StatedAmount:
    yen: Decimal
    unit: str  # the smallest unit written, e.g. 万円 in 52億7000万円
    stated: str


def _pattern(units: dict[str, Decimal]) -> tuple[re.Pattern[str], dict[str, Decimal]]:
    """A regex for one amount and the multiplier of each unit prefix (億 for 億円, '' for 円)."""
    currency = "円"
    prefixes = {unit.removesuffix(currency): scale for unit, scale in units.items() if unit.endswith(currency)}
    scaled = "|".join(re.escape(p) for p in sorted((p for p in prefixes if p), key=len, reverse=True))
    part = rf"{_NUMBER} ?(?:{scaled})"
    return re.compile(rf"(?:{part})*{_NUMBER} ?(?:{scaled})?{currency}"), prefixes


def stated_amounts(text: str, units: dict[str, Decimal]) -> list[StatedAmount]:
    """Every yen amount in ``text``, in order; figures without a unit (8,771,960) are not amounts."""
    pattern, prefixes = _pattern(units)
    scaled = sorted((p for p in prefixes if p), key=len, reverse=True)
    found = []
    for match in pattern.finditer(normalize(text)):
        stated = match.group(0)
        body = stated.removesuffix("円")
        total, unit = Decimal(0), "円"
        for number, prefix in re.findall(rf"({_NUMBER}) ?({'|'.join(map(re.escape, scaled))})?", body):
            total += Decimal(number.replace(",", "")) * prefixes[prefix]
            unit = f"{prefix}円"
        exact = total == total.to_integral_value()
        found.append(StatedAmount(total.quantize(Decimal(1)) if exact else total.normalize(), unit, stated))
    return found
