"""The accent colour's contrast rule, and the palette drawn from an accepted colour."""

import re

from hypothesis import given
from hypothesis import strategies as st

from eventreg.conferences.models import COLOR_PATTERN
from eventreg.core import colors
from tests.conftest import ROOT


def test_contrast_is_the_wcag_ratio():
    assert round(colors.contrast("#000000", "#ffffff"), 2) == 21.0
    assert colors.contrast("#123456", "#123456") == 1.0
    assert round(colors.contrast("#767676", "#ffffff"), 2) == 4.54  # the classic AA grey
    assert colors.contrast("#0b5cad", "#ffffff") == colors.contrast("#ffffff", "#0b5cad")


def test_an_accent_must_carry_white_text_and_read_on_the_light_pages():
    # Dark enough under white text and on white, and still on the light grey wash.
    assert colors.is_readable_accent("#1f5f8b")
    assert colors.is_readable_accent("#8c2f39")
    # #767676 passes on white (4.54) but not on the grey surfaces: refused.
    assert colors.contrast("#767676", "#ffffff") >= 4.5
    assert round(colors.accent_contrast("#767676"), 2) == 3.86  # on the break cards
    assert not colors.is_readable_accent("#767676")
    assert not colors.is_readable_accent("#ff0000")  # 4.0:1 under white text
    assert not colors.is_readable_accent("#ffd700")


def test_the_surfaces_of_the_rule_are_those_of_the_stylesheet():
    css = (ROOT / "eventreg" / "static" / "css" / "site.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)")[:2]

    def values(block: str, names) -> dict[str, str]:
        return {name: re.search(rf"--{name}: (#[0-9a-f]{{6}});", block).group(1) for name in names}

    assert values(light, colors.LIGHT_SURFACES) == colors.LIGHT_SURFACES
    assert values(dark, colors.DARK_SURFACES) == colors.DARK_SURFACES


hex_colors = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@given(hex_colors.filter(colors.is_readable_accent))
def test_every_pair_the_palette_makes_reads_at_4_5_to_1(color):
    palette = colors.palette(color)
    light, dark = palette["light"], palette["dark"]
    pairs = [
        # Fills under white text, in both schemes.
        *(
            (light["accent-ink"], fill)
            for fill in (light["accent-fill"], light["accent-fill-hover"])
        ),
        *((dark["accent-ink"], fill) for fill in (dark["accent-fill"], dark["accent-fill-hover"])),
        (light["accent-ink"], light["brand"]),
        (dark["accent-ink"], dark["brand"]),
        # Links on the pages, and an outlined button's hover.
        *(
            (light[role], bg)
            for role in ("accent", "accent-hover")
            for bg in colors.LIGHT_BACKGROUNDS
        ),
        (light["accent-hover"], light["accent-wash"]),
        *(
            (dark[role], bg)
            for role in ("accent", "accent-hover")
            for bg in colors.DARK_BACKGROUNDS
        ),
        (dark["accent-hover"], dark["accent-wash"]),
    ]
    for text, background in pairs:
        assert colors.contrast(text, background) >= 4.5, (color, text, background)
    for scheme in palette.values():
        assert all(COLOR_PATTERN.fullmatch(value) for value in scheme.values())


def test_the_stylesheet_sets_the_roles_for_both_schemes():
    css = colors.stylesheet("#8C2F39")
    assert css.startswith(":root { --brand: #8c2f39; --accent: #8c2f39;")
    assert "@media (prefers-color-scheme: dark) { :root { --brand: #8c2f39; --accent: #" in css
    dark_link = colors.palette("#8c2f39")["dark"]["accent"]
    assert dark_link != "#8c2f39" and f"--accent: {dark_link};" in css
