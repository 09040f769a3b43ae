"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched from the internet.

Each chart shows its title, with the unit of its values, above the plot. It is accessible (``role="img"``
named by that title and described by every value), every bar carries its exact value in a ``<title>`` (shown
on hover) and in ``data-value`` (for tests and assistive tools), and all text goes through ``format_html`` so
labels are escaped.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

# Colours with enough contrast on white, told apart also in grey scale (dark, middle, light).
SERIES_COLOURS = ("#1f4e79", "#c0504d", "#7f9f3f", "#8064a2", "#4bacc6", "#f79646")
NEGATIVE_COLOUR = "#c0504d"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
# The band above the plot that holds the chart's visible title.
TITLE_HEIGHT = 26
# The characters of a horizontal bar's label that fit in its 300 px at 11 px (the rest ends in "…").
LABEL_CHARACTERS = 46

# The labels under vertical bars never overlap. Their width is estimated (no font metrics on the server) at
# CHARACTER_WIDTH per character, a little more than the 11 px sans-serif draws, so the estimate never
# underrates a label. Each label is drawn, in this order of preference:
# - flat: on one line, when every label fits its group (months, age groups);
# - wrapped: word by word on at most AXIS_LINES lines (the groups are widened, up to WORD_ROOM, so that the
#   longest word fits): the what-if's rate categories ("Psykolog, kurator eller psykoterapeut");
# - rotated: at AXIS_ANGLE degrees, cut to ROTATED_CHARACTERS (the bar's title and the chart's description
#   keep the whole label), when even that does not fit.
CHARACTER_WIDTH = 6.5
LINE_HEIGHT = 13
AXIS_LINES = 3
AXIS_ANGLE = 45
ROTATED_CHARACTERS = 24
WORD_ROOM = 120
# Room kept free between two labels side by side.
LABEL_GAP = 4


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]


def _n(value: float) -> str:
    """A coordinate with one decimal."""
    return f"{value:.1f}"


def _nice_max(value: float, ticks: int = 4) -> float:
    """A round axis maximum at or above ``value`` whose ``ticks`` steps are round (1, 2, 2.5 or 5 × 10^k)."""
    if value <= 0:
        return float(ticks)
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * ticks


def _short(value: float) -> str:
    """Axis tick text: 1 200 000 → ``1,2 M``, 45 000 → ``45 k``, 3 000 000 000 → ``3 mdr``, in the active
    language's decimal separator and abbreviations (English: ``1.2 M``, ``3 bn``)."""
    for limit, suffix in ((1e9, pgettext("axis tick, 10^9", "bn")), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return _decimal(f"{value / limit:.1f}".removesuffix(".0")) + f"\u00a0{suffix}"
    return _decimal(f"{value:g}")


def _decimal(text: str) -> str:
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


def _svg(key: str, width: int, height: int, title: str, description: str, body: SafeString) -> SafeString:
    """The chart: its title drawn above the plot (with the unit, e.g. "Cost per month (SEK)"), and for assistive
    tools the same title as the image's name and every value in its description."""
    return format_html(
        '<svg class="report-chart" id="chart-{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="chart-{}-t" aria-describedby="chart-{}-d" xmlns="http://www.w3.org/2000/svg" {}>'
        '<title id="chart-{}-t">{}</title><desc id="chart-{}-d">{}</desc>'
        '<text class="report-chart-title" x="0" y="16" font-size="13" font-weight="600" fill="#333">{}</text>'
        '<g transform="translate(0 {})">{}</g></svg>',
        key,
        width,
        height + TITLE_HEIGHT,
        width,
        height + TITLE_HEIGHT,
        key,
        key,
        mark_safe(FONT),  # noqa: S308 (a constant)
        key,
        title,
        key,
        description,
        title,
        TITLE_HEIGHT,
        body,
    )


def text_width(text: str) -> float:
    """About how wide ``text`` is drawn at 11 px (an overestimate: see CHARACTER_WIDTH)."""
    return len(text) * CHARACTER_WIDTH


@dataclass(frozen=True)
class AxisLabels:
    """How the labels under vertical bars are drawn: ``layout`` (flat, wrapped or rotated), each label's lines,
    and how far below the plot they reach."""

    layout: str
    lines: list[list[str]]
    depth: float


def _wrapped(label: str, room: float) -> list[str] | None:
    """``label`` word by word on lines no wider than ``room`` (None when a word alone is wider)."""
    lines: list[str] = []
    for word in label.split():
        if text_width(word) > room:
            return None
        if lines and text_width(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def axis_labels(labels: Sequence[str], room: float) -> AxisLabels:
    """The layout of ``labels`` when each may take ``room`` pixels across (its group, less a gap)."""
    if all(text_width(label) <= room for label in labels):
        return AxisLabels("flat", [[label] for label in labels], 14 + 3)
    wrapped = [_wrapped(label, room) for label in labels]
    if all(lines is not None and len(lines) <= AXIS_LINES for lines in wrapped):
        return AxisLabels("wrapped", wrapped, 14 + 3 + LINE_HEIGHT * (max(len(lines) for lines in wrapped) - 1))
    clipped = [_clipped(label, ROTATED_CHARACTERS) for label in labels]
    reach = max((text_width(label) for label in clipped), default=0) * math.sin(math.radians(AXIS_ANGLE))
    return AxisLabels("rotated", [[label] for label in clipped], 10 + reach + 6)


def bar_chart(
    key: str, labels: Sequence[str], series: Sequence[Series], *, title: str, formatter, height: int = 220
) -> SafeString:
    """Vertical bars, one group per label and one bar per series (e.g. months × contacts).

    ``height`` is the height with one line of labels; wrapped or rotated labels make the chart taller, never
    the plot smaller. At most about 12 labels are written (every second, third … month of a long range).
    """
    longest_word = max((text_width(word) for label in labels for word in label.split()), default=0)
    group_min = max(52, 18 * len(series) + 16, min(longest_word + LABEL_GAP + 6, WORD_ROOM))
    left, right, top, bottom = 56, 8, 12, 36
    width = max(420, left + right + len(labels) * group_min, _title_width(title))
    plot_h = height - top - bottom
    group_w = (width - left - right) / max(len(labels), 1)
    every = max(1, len(labels) // 12)
    layout = axis_labels(labels, group_w * every - LABEL_GAP)
    if layout.layout == "rotated" and layout.lines:
        # The first label reaches left of its group: room for it, so that it is not cut at the edge.
        reach = text_width(layout.lines[0][0]) * math.cos(math.radians(AXIS_ANGLE))
        shift = max(0, math.ceil(reach - group_w / 2 - left + 4))
        left, width = left + shift, width + shift
    height += max(0, math.ceil(layout.depth - 17))
    values = [float(v or 0) for s in series for v in s.values]
    axis_max = _nice_max(max(values, default=0))
    bar_w = max(2.0, (group_w - 6) / max(len(series), 1))
    parts = []
    for tick in range(5):
        value = axis_max * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="#555">{}</text>',
                left,
                width - right,
                _n(y),
                _n(y),
                left - 4,
                _n(y + 4),
                _short(value),
            )
        )
    label_y = top + plot_h + 14
    for index, label in enumerate(labels):
        x0 = left + index * group_w + 3
        for number, one in enumerate(series):
            value = one.values[index] or 0
            bar_h = plot_h * float(value) / axis_max
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-label="{}" '
                    'data-series="{}" data-value="{}"><title>{} {}: {}</title></rect>',
                    _n(x0 + number * bar_w),
                    _n(top + plot_h - bar_h),
                    _n(bar_w - 1),
                    _n(bar_h),
                    SERIES_COLOURS[number % len(SERIES_COLOURS)],
                    label,
                    one.name,
                    value,
                    label,
                    one.name,
                    formatter(value),
                )
            )
        if index % every == 0:
            parts.append(_axis_label(layout, index, _n(x0 + group_w / 2 - 3), label_y))
    parts.append(_legend(series, left, height - 8))
    description = "; ".join(
        f"{label}: " + ", ".join(f"{s.name} {formatter(s.values[i] or 0)}" for s in series)
        for i, label in enumerate(labels)
    )
    return _svg(key, width, height, title, description, mark_safe("".join(parts)))  # noqa: S308 (escaped parts)


def _axis_label(layout: AxisLabels, index: int, x: str, y: int) -> SafeString:
    """One label under its group of bars, drawn as ``layout`` says (``data-layout`` names it, for tests)."""
    lines = layout.lines[index]
    if layout.layout == "rotated":
        return format_html(
            '<text class="report-axis-label" data-layout="rotated" x="{}" y="{}" text-anchor="end" '
            'transform="rotate(-{} {} {})" fill="#333">{}</text>',
            x,
            y - 4,
            AXIS_ANGLE,
            x,
            y - 4,
            lines[0],
        )
    if len(lines) == 1:
        return format_html(
            '<text class="report-axis-label" data-layout="{}" x="{}" y="{}" text-anchor="middle" fill="#333">{}</text>',
            layout.layout,
            x,
            y,
            lines[0],
        )
    # A space ends every line but the last, so the label reads as written (text content, copy and paste).
    tspans = format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        (
            (x, 0 if number == 0 else LINE_HEIGHT, line if number == len(lines) - 1 else f"{line} ")
            for number, line in enumerate(lines)
        ),
    )
    return format_html(
        '<text class="report-axis-label" data-layout="{}" x="{}" y="{}" text-anchor="middle" fill="#333">{}</text>',
        layout.layout,
        x,
        y,
        tspans,
    )


def hbar_chart(key: str, items: Sequence[tuple[str, Decimal | int | None]], *, title: str, formatter) -> SafeString:
    """Horizontal bars, one per item (e.g. shares by profession), negative values to the left of zero."""
    row_h, label_w, width = 22, 300, 720
    height = 12 + row_h * max(len(items), 1)
    values = [float(v or 0) for _label, v in items]
    low, high = min([*values, 0.0]), max([*values, 0.0])
    span = _nice_max(max(abs(low), abs(high)))
    plot_w = width - label_w - 90
    if low < 0:
        zero_x = label_w + plot_w / 2
        scale = (plot_w / 2) / span
    else:
        zero_x = label_w
        scale = plot_w / span
    parts = []
    for index, (label, value) in enumerate(items):
        y = 6 + index * row_h
        number = float(value or 0)
        bar = abs(number) * scale
        x = zero_x - bar if number < 0 else zero_x
        colour = NEGATIVE_COLOUR if number < 0 else SERIES_COLOURS[0]
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="#333">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-label="{}" data-value="{}">'
                "<title>{}: {}</title></rect>"
                '<text x="{}" y="{}" fill="#333">{}</text>',
                label_w - 6,
                y + 14,
                _clipped(label, LABEL_CHARACTERS),
                _n(x),
                y + 3,
                _n(bar),
                row_h - 6,
                colour,
                label,
                value if value is not None else "",
                label,
                formatter(value) if value is not None else "–",
                _n((x + bar + 4) if number >= 0 else (zero_x + 4)),
                y + 14,
                formatter(value) if value is not None else "–",
            )
        )
    parts.append(format_html('<line x1="{0}" x2="{0}" y1="0" y2="{1}" stroke="#999"/>', _n(zero_x), height))
    description = "; ".join(f"{label}: {formatter(v) if v is not None else '–'}" for label, v in items)
    return _svg(key, width, height, title, description, mark_safe("".join(parts)))  # noqa: S308 (escaped parts)


def _title_width(title: str) -> int:
    """About how wide the title is drawn (13 px, semi-bold), so that a narrow chart does not cut it off."""
    return math.ceil(len(title) * 7.5) + 8


def _clipped(label: str, length: int) -> str:
    """The label as far as it fits beside the bars, ending in "…" when cut (the bar's title has all of it)."""
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def _legend(series: Sequence[Series], x: int, y: int) -> SafeString:
    if len(series) < 2:
        return mark_safe("")
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" fill="#333">{}</text>',
        (
            (x + i * 150, y - 9, SERIES_COLOURS[i % len(SERIES_COLOURS)], x + i * 150 + 14, y, s.name)
            for i, s in enumerate(series)
        ),
    )
