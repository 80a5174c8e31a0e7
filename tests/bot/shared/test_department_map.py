import re
import xml.etree.ElementTree as ET

from bot.shared.department_map import department_svg, load_outline

NS = "{http://www.w3.org/2000/svg}"


def test_outline_file_has_a_few_hundred_points_in_the_department():
    rings = load_outline()
    assert rings and 100 <= sum(len(r) for r in rings) <= 500
    assert all(46.1 < lat < 47.2 and 3.6 < lon < 5.5 for ring in rings for lat, lon in ring)


def test_svg_is_accessible_and_has_one_circle_per_commune_with_initiatives():
    svg = department_svg(
        [(46.78, 4.85, "Chalon-sur-Saône", 4), (46.78, 4.75, "Givry", 1), (46.31, 4.83, "Mâcon", 0)],
        highlight="Givry",
    )
    root = ET.fromstring(svg)  # well-formed
    assert root.get("role") == "img" and "2 communes, 5 initiatives" in root.get("aria-label")
    assert root.find(f"{NS}title") is not None
    assert root.find(f"{NS}path").get("class") == "outline"
    circles = root.findall(f"{NS}circle")
    assert len(circles) == 2
    radii = {c.find(f"{NS}title").text: float(c.get("r")) for c in circles}
    assert radii["Chalon-sur-Saône : 4 initiatives"] > radii["Givry : 1 initiative"]
    assert [c.get("class") for c in circles if "highlight" in c.get("class")] == ["commune highlight"]
    assert {t.text for t in root.findall(f"{NS}text")} == {"Chalon-sur-Saône", "Givry"}


def test_projection_puts_west_left_and_north_up():
    svg = department_svg([(46.31, 4.83, "Sud", 1), (46.95, 4.30, "Nord-Ouest", 1)], outline=[])
    root = ET.fromstring(svg)
    pos = {c.find(f"{NS}title").text.split(" :")[0]: (float(c.get("cx")), float(c.get("cy")))
           for c in root.findall(f"{NS}circle")}
    assert pos["Nord-Ouest"][0] < pos["Sud"][0] and pos["Nord-Ouest"][1] < pos["Sud"][1]
    width, height = map(float, root.get("viewBox").split()[2:])
    # cos(latitude) correction: 0.53 degrees of longitude at 46.6 N are about 0.36 "degrees" of latitude
    assert height > width


def test_labels_are_escaped_and_empty_map_is_still_valid():
    svg = department_svg([(46.5, 4.5, '<script>"x"&', 2)], outline=[])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)
    empty = ET.fromstring(department_svg([]))
    assert empty.findall(f"{NS}circle") == [] and re.search("0 initiative", empty.get("aria-label"))
