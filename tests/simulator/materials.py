"""Filament spools in the server's material inventory.

Weights are in kg. Money is a Decimal on the server, which FastAPI sends as a string
(`cost_per_kg`, `remaining_value`, `total_value`, ...), while weights and percentages
are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import random
from typing import Any
import uuid

MATERIAL_TYPES = (
    "PLA",
    "PLA_ECO",
    "PLA_MATTE",
    "PLA_SILK",
    "PLA_TURBO",
    "PETG",
    "TPU",
    "ABS",
    "ASA",
    "NYLON",
    "PC",
    "OTHER",
)
MATERIAL_BRANDS = ("OVERTURE", "PRUSAMENT", "BAMBU", "POLYMAKER", "ESUN", "OTHER")
MATERIAL_COLORS = (
    "BLACK",
    "WHITE",
    "GREY",
    "RED",
    "BLUE",
    "GREEN",
    "YELLOW",
    "ORANGE",
    "PURPLE",
    "PINK",
    "TRANSPARENT",
    "NATURAL",
    "OTHER",
)
# A spool below this share of its weight is "low stock".
LOW_STOCK_PERCENT = 20


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass
class MaterialSpool:
    """One spool."""

    id: str
    material_type: str = "PLA"
    brand: str = "BAMBU"
    color: str = "WHITE"
    diameter: float = 1.75
    weight: float = 1.0
    remaining_weight: float = 1.0
    cost_per_kg: Decimal = Decimal("24.99")
    vendor: str = "Bambu Lab"
    batch_number: str | None = None
    notes: str | None = None
    printer_id: str | None = None
    color_hex: str | None = None
    location: str | None = None
    is_active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        for name, values in (
            ("material_type", MATERIAL_TYPES),
            ("brand", MATERIAL_BRANDS),
            ("color", MATERIAL_COLORS),
        ):
            if getattr(self, name) not in values:
                raise ValueError(f"{name} must be one of {values}")
        self.cost_per_kg = _decimal(self.cost_per_kg)

    @property
    def remaining_percentage(self) -> float:
        """Remaining weight as a share of the spool's weight."""
        return self.remaining_weight / self.weight * 100 if self.weight else 0.0

    @property
    def remaining_value(self) -> Decimal:
        """Value of the filament left on the spool."""
        return _decimal(self.remaining_weight) * self.cost_per_kg

    @property
    def total_cost(self) -> Decimal:
        """What the full spool cost."""
        return _decimal(self.weight) * self.cost_per_kg

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The MaterialResponse for this spool."""
        return {
            "id": self.id,
            "material_type": self.material_type,
            "brand": self.brand,
            "color": self.color,
            "diameter": float(self.diameter),
            "weight": float(self.weight),
            "remaining_weight": float(self.remaining_weight),
            "remaining_percentage": float(self.remaining_percentage),
            "cost_per_kg": str(self.cost_per_kg),
            "remaining_value": str(self.remaining_value),
            "vendor": self.vendor,
            "batch_number": self.batch_number,
            "notes": self.notes,
            "printer_id": self.printer_id,
            "color_hex": self.color_hex,
            "location": self.location,
            "is_active": self.is_active,
            "created_at": (self.created_at or now).isoformat(),
            "updated_at": (self.updated_at or self.created_at or now).isoformat(),
        }


def spool_id(rng: random.Random) -> str:
    """A uuid4 drawn from `rng` (so seeded inventories repeat)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def default_spools(now: datetime, rng: random.Random) -> list[MaterialSpool]:
    """Five spools, two of them low on stock."""
    rows: list[dict[str, Any]] = [
        {"color": "WHITE", "color_hex": "#FFFFFF", "remaining_weight": 0.82},
        {"color": "BLACK", "color_hex": "#000000", "remaining_weight": 0.12},
        {
            "material_type": "PETG",
            "brand": "PRUSAMENT",
            "color": "ORANGE",
            "color_hex": "#FF6A13",
            "remaining_weight": 0.55,
            "cost_per_kg": Decimal("29.99"),
            "vendor": "Prusa Research",
        },
        {
            "material_type": "PLA_SILK",
            "brand": "POLYMAKER",
            "color": "RED",
            "color_hex": "#C0392B",
            "weight": 0.75,
            "remaining_weight": 0.06,
            "cost_per_kg": Decimal("32.50"),
            "vendor": "Polymaker",
        },
        {
            "material_type": "TPU",
            "brand": "OVERTURE",
            "color": "TRANSPARENT",
            "weight": 0.5,
            "remaining_weight": 0.4,
            "cost_per_kg": Decimal("35.00"),
            "vendor": "Overture",
            "location": "Dry box",
        },
    ]
    spools = []
    for age, row in enumerate(rows):
        created = now - timedelta(days=40 - 7 * age)
        spools.append(
            MaterialSpool(
                id=spool_id(rng), created_at=created, updated_at=created, **row
            )
        )
    return spools


def statistics(spools: list[MaterialSpool]) -> dict[str, Any]:
    """GET /materials/stats, computed as the server's MaterialService does."""
    by_type: dict[str, dict[str, Any]] = {}
    by_brand: dict[str, dict[str, Any]] = {}
    by_color: dict[str, int] = {}
    for spool in spools:
        kind = by_type.setdefault(
            spool.material_type,
            {
                "count": 0,
                "total_weight": 0.0,
                "remaining_weight": 0.0,
                "value": Decimal(0),
            },
        )
        kind["count"] += 1
        kind["total_weight"] += spool.weight
        kind["remaining_weight"] += spool.remaining_weight
        kind["value"] += spool.remaining_value
        brand = by_brand.setdefault(
            spool.brand, {"count": 0, "total_weight": 0.0, "remaining_weight": 0.0}
        )
        brand["count"] += 1
        brand["total_weight"] += spool.weight
        brand["remaining_weight"] += spool.remaining_weight
        by_color[spool.color] = by_color.get(spool.color, 0) + 1
    for kind in by_type.values():
        kind["value"] = str(kind["value"])
    return {
        "total_spools": len(spools),
        "total_weight": float(sum(s.weight for s in spools)),
        "total_remaining": float(sum(s.remaining_weight for s in spools)),
        "total_value": str(sum((s.total_cost for s in spools), Decimal(0))),
        "remaining_value": str(sum((s.remaining_value for s in spools), Decimal(0))),
        "by_type": by_type,
        "by_brand": by_brand,
        "by_color": by_color,
        "low_stock": [
            s.id for s in spools if s.remaining_percentage < LOW_STOCK_PERCENT
        ],
        "consumption_30d": 0.0,
        "consumption_rate": 0.0,
    }
