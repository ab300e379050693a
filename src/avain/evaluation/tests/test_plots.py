"""The SVG figures parse, stay inside their viewBox, draw the right number of points and match their tables."""

import numpy as np
import pytest
from defusedxml import ElementTree

from avain.evaluation import cea, plots

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def analysis():
    rng = np.random.default_rng(7)
    treated = cea.ArmData(rng.gamma(2.0, 1100.0, 150), rng.normal(0.8, 1.0, 150))
    control = cea.ArmData(rng.gamma(2.0, 1000.0, 140), rng.normal(0.5, 1.0, 140))
    return cea.analyse(treated, control, seed=4, wtp=cea.wtp_grid(5000.0, 20), replicates=2500)


def parse(svg):
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert root.find(f"{SVG}title").text
    assert root.find(f"{SVG}desc").text
    return root, width, height


def test_ce_plane_thins_the_replicates_and_keeps_them_inside(analysis):
    svg = plots.ce_plane_svg(analysis.bootstrap, analysis.incremental, wtp=1000.0)
    root, width, height = parse(svg)
    points = root.findall(f".//{SVG}g[@class='replicates']/{SVG}circle")
    assert len(points) == plots.MAX_POINTS  # 2 500 replicates thinned to 2 000
    for point in points:
        assert 0 <= float(point.get("cx")) <= width
        assert 0 <= float(point.get("cy")) <= height
    assert len(root.findall(f".//{SVG}line[@class='axis']")) == 2
    assert len(root.findall(f".//{SVG}text[@class='quadrant']")) == 4
    assert root.find(f".//{SVG}line[@class='wtp']") is not None
    assert "<script" not in svg and "href" not in svg


def test_ce_plane_draws_every_replicate_when_there_are_few(analysis):
    svg = plots.ce_plane_svg(analysis.bootstrap, analysis.incremental, wtp=1000.0, max_points=5000)
    root, _, _ = parse(svg)
    assert len(root.findall(f".//{SVG}g[@class='replicates']/{SVG}circle")) == 2500


def test_ce_plane_axes_cross_at_the_origin(analysis):
    root, width, height = parse(plots.ce_plane_svg(analysis.bootstrap, analysis.incremental, wtp=1000.0))
    horizontal, vertical = root.findall(f".//{SVG}line[@class='axis']")
    # Symmetric ranges put the origin in the middle of the plotting box.
    assert float(horizontal.get("y1")) == pytest.approx(height / 2, abs=0.1)
    assert float(vertical.get("x1")) == pytest.approx(width / 2, abs=0.1)


def test_units_are_escaped(analysis):
    svg = plots.ce_plane_svg(analysis.bootstrap, analysis.incremental, wtp=1000.0, effect_unit="<b>&points")
    parse(svg)
    assert "<b>" not in svg and "&lt;b&gt;&amp;points" in svg


def test_ceac_has_one_vertex_per_wtp_inside_the_viewbox(analysis):
    root, width, height = parse(plots.ceac_svg(analysis.bootstrap))
    vertices = root.find(f".//{SVG}polyline[@class='ceac']").get("points").split()
    assert len(vertices) == analysis.bootstrap.wtp.size
    for vertex in vertices:
        x, y = (float(v) for v in vertex.split(","))
        assert 0 <= x <= width and 0 <= y <= height


def test_tables_carry_the_same_numbers(analysis):
    result, point = analysis.bootstrap, analysis.incremental
    rows = plots.ceac_rows(result, point)
    assert [row["wtp"] for row in rows] == list(result.wtp)
    assert [row["probability_cost_effective"] for row in rows] == list(result.ceac)
    for row in rows:
        assert row["nmb"] == pytest.approx(row["wtp"] * point.delta_effect - point.delta_cost)
        assert row["nmb_low"] <= row["nmb_high"]
    plane = plots.plane_rows(result, point)
    assert plane[0]["estimate"] == point.delta_cost and plane[0]["low"] == result.cost_interval.low
    assert plane[1]["estimate"] == point.delta_effect and plane[1]["high"] == result.effect_interval.high
    assert sum(row["estimate"] for row in plane[2:]) == pytest.approx(1.0)
