"""The labels under vertical bars never overlap: flat when they fit, wrapped word by word on at most three lines
(the what-if's rate categories), else rotated 45° and cut. Checked on the SVG itself, with the same conservative
estimate of a label's width the chart uses (6.5 px a character at 11 px; the browser draws them narrower: see the
screenshot in the report of issue 15)."""

import itertools
import math
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from billing.reports import charts, figures
from billing.reports.charts import AXIS_ANGLE, LABEL_GAP, LINE_HEIGHT, ROTATED_CHARACTERS, Series, text_width
from billing.reports.views import _dashboard_charts

D = Decimal
CATEGORIES = ["Läkare", "Psykolog, kurator eller psykoterapeut", "Annan legitimerad personal"]


class _Chart(HTMLParser):
    """The axis labels (layout, x, y, transform, lines), the legend's top and the size of one chart."""

    def __init__(self, key: str):
        super().__init__()
        self.key, self.inside, self.labels, self.label = key, False, [], None
        self.legend_top, self.width, self.height, self.zero_y = None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.inside = attrs.get("id") == f"chart-{self.key}"
            if self.inside:
                _x, _y, self.width, self.height = (float(n) for n in attrs["viewbox"].split())
            return
        if not self.inside:
            return
        if tag == "text" and attrs.get("class") == "report-axis-label":
            self.label = {**attrs, "lines": [""]}
            self.labels.append(self.label)
        elif tag == "tspan" and self.label is not None:
            if self.label["lines"] != [""]:
                self.label["lines"].append("")
        elif tag == "rect" and attrs.get("width") == "10" and "data-value" not in attrs:
            self.legend_top = float(attrs["y"]) if self.legend_top is None else self.legend_top
        elif tag == "line" and self.zero_y is None and attrs.get("y1") == attrs.get("y2"):
            self.zero_y = float(attrs["y1"])  # the first grid line is the zero line

    def handle_endtag(self, tag):
        if tag == "text" and self.label is not None:
            self.label["lines"] = [line.strip() for line in self.label["lines"]]
            self.label = None
        elif tag == "svg":
            self.inside = False

    def handle_data(self, data):
        if self.label is not None:
            self.label["lines"][-1] += data


def chart_of(svg: str, key: str) -> _Chart:
    parser = _Chart(key)
    parser.feed(str(svg))
    assert parser.labels, f"no axis labels in chart {key}"
    return parser


def assert_labels_never_overlap(chart: _Chart) -> str:
    """The layout rule, on the drawn SVG; returns the layout used."""
    layouts = {label["data-layout"] for label in chart.labels}
    assert len(layouts) == 1
    layout = layouts.pop()
    # The legend (two series or more) is drawn below the labels, the labels below the plot (26: the title band).
    bottom = (chart.legend_top if chart.legend_top is not None else chart.height - 26) - 2
    xs = [float(label["x"]) for label in chart.labels]
    ys = [float(label["y"]) for label in chart.labels]
    assert min(ys) > chart.zero_y
    if layout == "rotated":
        sin = math.sin(math.radians(AXIS_ANGLE))
        for label, x, y in zip(chart.labels, xs, ys, strict=True):
            assert label["transform"] == f"rotate(-{AXIS_ANGLE} {label['x']} {label['y']})"
            assert label["text-anchor"] == "end"
            (text,) = label["lines"]
            assert len(text) <= ROTATED_CHARACTERS
            assert x - text_width(text) * sin >= 0  # not cut at the left edge
            assert y + text_width(text) * sin + 4 <= bottom
        # Parallel slanted lines: their distance across is the step times sin 45°, more than a line's height.
        assert all((b - a) * sin >= LINE_HEIGHT for a, b in itertools.pairwise(xs))
        return layout
    assert layout in ("flat", "wrapped")
    halves = [max(text_width(line) for line in label["lines"]) / 2 for label in chart.labels]
    for (x, half), (next_x, next_half) in zip(zip(xs, halves, strict=True), list(zip(xs, halves, strict=True))[1:]):
        assert x + half + LABEL_GAP <= next_x - next_half + 0.1
    assert xs[0] - halves[0] >= 0 and xs[-1] + halves[-1] <= chart.width
    for label, y in zip(chart.labels, ys, strict=True):
        assert y + LINE_HEIGHT * (len(label["lines"]) - 1) + 3 <= bottom
    return layout


def months(count: int) -> list[str]:
    return [f"{2017 + n // 12}-{n % 12 + 1:02d}" for n in range(count)]


@pytest.mark.parametrize(
    ("labels", "series", "layout"),
    [
        (months(1), 1, "flat"),
        (months(12), 1, "flat"),
        (months(13), 1, "flat"),
        (months(24), 1, "flat"),
        (months(120), 1, "flat"),
        (["0–6", "7–18", "19–39", "40–64", "65–74", "75–84", "85+"], 2, "flat"),
        (CATEGORIES[:1], 2, "flat"),
        (CATEGORIES, 2, "wrapped"),
        ([*CATEGORIES, "Ej legitimerad"], 2, "wrapped"),
        (CATEGORIES, 1, "wrapped"),
        ([*CATEGORIES, "Ej legitimerad"] * 3, 2, "wrapped"),
        (["Hälso- och sjukvårdskurator inom primärvården", "Sjukhusfysikerassistentutbildare", "x"], 2, "rotated"),
        ([f"Vårdgivare nummer {n} med ett mycket långt namn" for n in range(14)], 1, "rotated"),
    ],
)
def test_the_labels_under_the_bars_never_overlap(labels, series, layout):
    svg = charts.bar_chart(
        "labels",
        labels,
        [Series(f"S{n}", [D(n + 1)] * len(labels)) for n in range(series)],
        title="Labels",
        formatter=str,
    )

    assert assert_labels_never_overlap(chart_of(svg, "labels")) == layout


def test_wrapped_and_rotated_labels_make_the_chart_taller_not_the_plot_smaller():
    def plot_and_height(labels):
        chart = chart_of(charts.bar_chart("h", labels, [Series("S", [1] * len(labels))], title="T", formatter=str), "h")
        return chart.zero_y, chart.height

    flat_zero, flat_height = plot_and_height(["a", "b", "c"])
    wrapped_zero, wrapped_height = plot_and_height(CATEGORIES * 2)
    rotated_zero, rotated_height = plot_and_height(["Sjukhusfysikerassistentutbildare"] * 3)

    assert flat_zero == wrapped_zero == rotated_zero
    assert flat_height < wrapped_height < rotated_height


def test_a_rotated_label_is_cut_and_its_bar_keeps_the_whole_label():
    long = "Hälso- och sjukvårdskurator inom primärvården"
    labels = [long, "Sjukhusfysikerassistentutbildare"]
    svg = str(charts.bar_chart("cut", labels, [Series("S", [1, 2])], title="T", formatter=str))

    chart = chart_of(svg, "cut")

    assert chart.labels[0]["lines"] == ["Hälso- och sjukvårdskur…"]
    assert f'data-label="{long}"' in svg and f"<title>{long} S: 1</title>" in svg


def test_the_what_if_page_wraps_the_rate_categories_under_their_bars(client, known, people):
    client.force_login(people["clerk25"])

    html = client.get(
        reverse("reports:what-if") + "?period_from=2025-01&period_to=2026-12&recommendation=SKL-2019"
    ).content.decode()

    svg = re.search(r'<svg class="report-chart" id="chart-what-if".*?</svg>', html, re.S).group(0)
    chart = chart_of(svg, "what-if")
    assert assert_labels_never_overlap(chart) == "wrapped"
    assert [label["lines"] for label in chart.labels] == [
        ["Läkare"],
        ["Psykolog, kurator", "eller", "psykoterapeut"],
        ["Annan legitimerad", "personal"],
    ]
    # Read as a whole, each label is the category's name, word for word.
    assert (
        '<tspan x="{0}" dy="0">Annan legitimerad </tspan><tspan x="{0}" dy="13">personal</tspan>'.format(
            chart.labels[2]["x"]
        )
        in svg
    )


def test_the_providers_chart_says_when_it_shows_only_the_first_fifteen():
    def tables(count: int) -> dict:
        empty = {key: figures.Table(key, key, figures.COLUMNS[key], []) for key in figures.DASHBOARD}
        providers = [{"name": f"Vårdgivare {n:02d}", "cost": D(100 - n)} for n in range(count)]
        return empty | {"providers": figures.Table("providers", "", figures.COLUMNS["providers"], providers)}

    def providers_chart(count: int) -> str:
        (svg,) = _dashboard_charts(tables(count))["providers"]
        return str(svg)

    assert 'aria-labelledby="chart-providers-t"' in providers_chart(15)
    assert '<title id="chart-providers-t">Kostnad per vårdgivare (kr)</title>' in providers_chart(15)
    assert providers_chart(15).count("<rect") == 15
    many = providers_chart(16)
    assert '<title id="chart-providers-t">Kostnad per vårdgivare, de 15 med flest kontakter (kr)</title>' in many
    assert many.count("<rect") == 15 and "Vårdgivare 15" not in many
