"""Server-side SVG of the cost-effectiveness plane and the acceptability curve, and the same numbers as table rows.

Plain strings: no JavaScript, no external assets, every text escaped. Each figure has a <title> and a <desc> for
screen readers; the table rows are the accessible (and printable) form of the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
from django.utils.translation import gettext as _

from avain.evaluation.cea import BootstrapResult, Incremental, display_round

WIDTH = 480
HEIGHT = 360
MARGIN = 48
MAX_POINTS = 2000


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float
    pixel_low: float
    pixel_high: float

    def __call__(self, value):
        return self.pixel_low + (np.asarray(value, dtype=float) - self.low) * (self.pixel_high - self.pixel_low) / (
            self.high - self.low
        )


def _symmetric_range(values: np.ndarray, *extra: float) -> tuple[float, float]:
    # The plane's axes cross at the origin in the middle, so the quadrants have equal room.
    reach = max(float(np.max(np.abs(values))) if values.size else 0.0, *(abs(v) for v in extra), 1e-9)
    return -reach * 1.05, reach * 1.05


def thin(count: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Evenly spaced positions of at most ``limit`` of ``count`` replicates. Replicates are exchangeable, so any
    fixed subset draws the cloud faithfully; an even stride keeps the choice deterministic."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


def _number(value: float) -> str:
    return f"{value:.1f}"


def _text(x: float, y: float, content: str, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" font-size="11"{extra}>'
        f"{escape(content)}</text>"
    )


def _open_svg(title: str, description: str, label_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{label_id}-title {label_id}-desc" '
        f'font-family="sans-serif">',
        f'<title id="{label_id}-title">{escape(title)}</title>',
        f'<desc id="{label_id}-desc">{escape(description)}</desc>',
    ]


def ce_plane_svg(
    result: BootstrapResult,
    point: Incremental,
    *,
    wtp: float,
    effect_unit: str | None = None,
    cost_unit: str = "€",
    max_points: int = MAX_POINTS,
) -> str:
    """The cost-effectiveness plane: replicates (thinned to ``max_points``), the point estimate, axes through the
    origin, the four quadrants labelled, and the line ΔC = λ·ΔE for the willingness to pay ``wtp``."""
    shown = thin(result.replicates, max_points)
    x_range = _symmetric_range(result.delta_effects, point.delta_effect)
    y_range = _symmetric_range(result.delta_costs, point.delta_cost)
    x = _Scale(*x_range, MARGIN, WIDTH - MARGIN)
    y = _Scale(*y_range, HEIGHT - MARGIN, MARGIN)
    effect_unit = effect_unit or _("points")
    description = _(
        "%(shown)s of %(replicates)s bootstrap replicates of the incremental effect (x, %(effect_unit)s) and the "
        "incremental cost (y, %(cost_unit)s); point estimate ΔE %(delta_effect)s, ΔC %(delta_cost)s; the line is a "
        "willingness to pay of %(wtp)s %(cost_unit)s per score point."
    ) % {
        "shown": len(shown),
        "replicates": result.replicates,
        "effect_unit": effect_unit,
        "cost_unit": cost_unit,
        "delta_effect": display_round(point.delta_effect),
        "delta_cost": display_round(point.delta_cost),
        "wtp": display_round(wtp, 0),
    }
    parts = _open_svg(_("Cost-effectiveness plane"), description, "ce-plane")
    left, right, top, bottom = MARGIN, WIDTH - MARGIN, MARGIN, HEIGHT - MARGIN
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>'
    )
    origin_x, origin_y = float(x(0.0)), float(y(0.0))
    parts.append(
        f'<line class="axis" x1="{left}" y1="{_number(origin_y)}" x2="{right}" y2="{_number(origin_y)}" '
        f'stroke="#333"/>'
    )
    parts.append(
        f'<line class="axis" x1="{_number(origin_x)}" y1="{top}" x2="{_number(origin_x)}" y2="{bottom}" '
        f'stroke="#333"/>'
    )
    for label, (qx, qy, anchor) in {
        _("NW: dominated"): (left + 4, top + 14, "start"),
        _("NE: costlier, more effective"): (right - 4, top + 14, "end"),
        _("SW: cheaper, less effective"): (left + 4, bottom - 6, "start"),
        _("SE: dominant"): (right - 4, bottom - 6, "end"),
    }.items():
        parts.append(_text(qx, qy, label, anchor, ' class="quadrant" fill="#555"'))
    # The willingness-to-pay line, clipped to the plotting box by the clip path.
    parts.append(f'<clipPath id="ce-plane-box"><rect x="{left}" y="{top}" width="{right - left}" '
                 f'height="{bottom - top}"/></clipPath>')
    x_low, x_high = x_range
    parts.append(
        f'<line class="wtp" clip-path="url(#ce-plane-box)" x1="{_number(float(x(x_low)))}" '
        f'y1="{_number(float(y(wtp * x_low)))}" x2="{_number(float(x(x_high)))}" '
        f'y2="{_number(float(y(wtp * x_high)))}" stroke="#b35900" stroke-dasharray="4 3"/>'
    )
    xs, ys = x(result.delta_effects[shown]), y(result.delta_costs[shown])
    parts.append('<g class="replicates" fill="#1f5f99" fill-opacity="0.35">')
    parts.extend(f'<circle cx="{_number(cx)}" cy="{_number(cy)}" r="1.5"/>' for cx, cy in zip(xs, ys, strict=True))
    parts.append("</g>")
    parts.append(
        f'<circle class="estimate" cx="{_number(float(x(point.delta_effect)))}" '
        f'cy="{_number(float(y(point.delta_cost)))}" r="4" fill="#000"/>'
    )
    parts.append(_text((left + right) / 2, HEIGHT - 12, _("Incremental effect (%(unit)s)") % {"unit": effect_unit}))
    parts.append(
        _text(14, (top + bottom) / 2, _("Incremental cost (%(unit)s)") % {"unit": cost_unit}, extra=f' transform="rotate(-90 14 '
        f'{_number((top + bottom) / 2)})"')
    )
    parts.append("</svg>")
    return "\n".join(parts)


def ceac_svg(result: BootstrapResult, *, cost_unit: str = "€", effect_unit: str | None = None) -> str:
    """The acceptability curve: for each willingness to pay, the share of replicates with a positive NMB."""
    wtp, share = result.wtp, result.ceac
    x = _Scale(float(wtp.min()), float(wtp.max()) if wtp.max() > wtp.min() else float(wtp.min()) + 1.0,
               MARGIN, WIDTH - MARGIN)
    y = _Scale(0.0, 1.0, HEIGHT - MARGIN, MARGIN)
    effect_unit = effect_unit or _("score point")
    description = _(
        "Probability that the intervention is cost-effective at %(count)s willingness-to-pay values from %(low)s to "
        "%(high)s %(cost_unit)s per %(effect_unit)s: from %(first)s to %(last)s, over %(replicates)s bootstrap "
        "replicates."
    ) % {
        "count": len(wtp),
        "low": display_round(float(wtp.min()), 0),
        "high": display_round(float(wtp.max()), 0),
        "cost_unit": cost_unit,
        "effect_unit": effect_unit,
        "first": f"{share[0]:.1%}",
        "last": f"{share[-1]:.1%}",
        "replicates": result.replicates,
    }
    parts = _open_svg(_("Cost-effectiveness acceptability curve"), description, "ceac")
    left, right, top, bottom = MARGIN, WIDTH - MARGIN, MARGIN, HEIGHT - MARGIN
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>'
    )
    for level in (0.0, 0.5, 1.0):
        py = float(y(level))
        parts.append(f'<line x1="{left}" y1="{_number(py)}" x2="{right}" y2="{_number(py)}" stroke="#ddd"/>')
        parts.append(_text(left - 4, py + 4, f"{level:.0%}", "end"))
    points = " ".join(f"{_number(px)},{_number(py)}" for px, py in zip(x(wtp), y(share), strict=True))
    parts.append(f'<polyline class="ceac" points="{points}" fill="none" stroke="#1f5f99" stroke-width="2"/>')
    parts.append(
        _text(
            (left + right) / 2,
            HEIGHT - 12,
            _("Willingness to pay (%(cost_unit)s per %(effect_unit)s)") % {"cost_unit": cost_unit, "effect_unit": effect_unit},
        )
    )
    parts.append(
        _text(14, (top + bottom) / 2, _("Probability cost-effective"), extra=f' transform="rotate(-90 14 '
        f'{_number((top + bottom) / 2)})"')
    )
    parts.append("</svg>")
    return "\n".join(parts)


def ceac_rows(result: BootstrapResult, point: Incremental) -> list[dict]:
    """One row per willingness to pay: λ, NMB of the point estimates, its interval and the probability that the
    intervention is cost-effective. Unrounded; round for display."""
    nmb = point.net_monetary_benefit(result.wtp)
    return [
        {
            "wtp": float(result.wtp[k]),
            "nmb": float(nmb[k]),
            "nmb_low": float(result.nmb_intervals[k][0]),
            "nmb_high": float(result.nmb_intervals[k][1]),
            "probability_cost_effective": float(result.ceac[k]),
        }
        for k in range(result.wtp.size)
    ]


def plane_rows(result: BootstrapResult, point: Incremental) -> list[dict]:
    """The plane as a table: the point estimate with its intervals, and the share of replicates in each quadrant."""
    rows = [
        {
            "quantity": _("incremental cost"),
            "estimate": point.delta_cost,
            "low": result.cost_interval.low,
            "high": result.cost_interval.high,
        },
        {
            "quantity": _("incremental effect"),
            "estimate": point.delta_effect,
            "low": result.effect_interval.low,
            "high": result.effect_interval.high,
        },
    ]
    rows.extend(
        {"quantity": _("share of replicates, %(quadrant)s") % {"quadrant": where.label}, "estimate": share,
         "low": None, "high": None}
        for where, share in result.quadrant_shares.items()
    )
    return rows

