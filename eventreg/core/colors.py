"""A conference's accent colour: the contrast rule it must meet, and the palette made of it.

The rule (WCAG 2.x AA, 4.5:1 for text): buttons and the page header carry white text on
the accent, and links and outlined buttons use it as text on the light pages (white paper,
the grey wash, and the tinted cards of breaks, cancelled sessions and picked ones), so it
must reach 4.5:1 against all of them; a lighter colour is refused with the contrast it
reaches. No colour can also be text on the dark scheme's
backgrounds (a colour dark enough under white text is too dark on near-black): there, links
use a lighter tint of it, computed here to reach 4.5:1, while fills keep the colour itself.

The page backgrounds are those of ``eventreg/static/css/site.css`` (a test keeps the two
in step); e-mail is drawn on white, which the rule covers.
"""

from typing import NamedTuple

WHITE = "#ffffff"
BLACK = "#000000"
MIN_CONTRAST = 4.5
# The surfaces of site.css that links are shown on (pages, break and cancelled sessions,
# picked agenda items), light and dark.
LIGHT_SURFACES = {
    "paper": "#ffffff",
    "wash": "#f3f5f8",
    "break-wash": "#e9edf2",
    "danger-soft": "#fbf4f4",
    "ok-soft": "#f3faf5",
    "warn-soft": "#fffaf0",
}
DARK_SURFACES = {
    "paper": "#1b242e",
    "wash": "#11181f",
    "break-wash": "#252f3a",
    "danger-soft": "#2a1d21",
    "ok-soft": "#17281f",
    "warn-soft": "#282314",
}
LIGHT_BACKGROUNDS = tuple(LIGHT_SURFACES.values())
DARK_BACKGROUNDS = tuple(DARK_SURFACES.values())


class RGB(NamedTuple):
    red: int
    green: int
    blue: int


def parse(color: str) -> RGB:
    """``#rrggbb`` (either case) as numbers; ValueError for anything else."""
    text = color.strip()
    if len(text) != 7 or text[0] != "#":
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return RGB(int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def luminance(color: str) -> float:
    """WCAG relative luminance: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = parse(color)
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def accent_contrast(color: str) -> float:
    """The lowest contrast the accent has where it is used in the light scheme: under white
    text, and as text on the light backgrounds."""
    return min(contrast(color, background) for background in (WHITE, *LIGHT_BACKGROUNDS))


def is_readable_accent(color: str) -> bool:
    return accent_contrast(color) >= MIN_CONTRAST


def mix(color: str, other: str, share: float) -> str:
    """``color`` with ``share`` (0 to 1) of ``other`` mixed in."""
    a, b = parse(color), parse(other)
    return to_hex(RGB(*(round(x + (y - x) * share) for x, y in zip(a, b, strict=True))))


def _toward(color: str, target: str, readable_on: tuple[str, ...], start: float = 0.0) -> str:
    """The first mix of ``color`` toward ``target`` (in 5 % steps from ``start``) that reads
    at 4.5:1 on every background of ``readable_on``; ``target`` itself at worst."""
    share = start
    while share < 1:
        candidate = mix(color, target, share)
        if all(contrast(candidate, bg) >= MIN_CONTRAST for bg in readable_on):
            return candidate
        share += 0.05
    return target


def palette(color: str) -> dict[str, dict[str, str]]:
    """The site's accent roles (custom properties of site.css) drawn from an accent that
    meets the rule, for the light and the dark scheme."""
    color = to_hex(parse(color))
    darker = mix(color, BLACK, 0.2)  # hover: darker still carries white text
    light_wash = _toward(mix(color, WHITE, 0.9), WHITE, (darker,))
    dark_link = _toward(color, WHITE, DARK_BACKGROUNDS)
    dark_hover = _toward(dark_link, WHITE, DARK_BACKGROUNDS, start=0.3)
    darkest = DARK_SURFACES["wash"]
    dark_wash = _toward(mix(color, darkest, 0.7), darkest, (dark_hover,))
    return {
        "light": {
            "brand": color,
            "accent": color,
            "accent-hover": darker,
            "accent-fill": color,
            "accent-fill-hover": darker,
            "accent-ink": WHITE,
            "accent-wash": light_wash,
        },
        "dark": {
            "brand": color,
            "accent": dark_link,
            "accent-hover": dark_hover,
            "accent-fill": color,
            "accent-fill-hover": darker,
            "accent-ink": WHITE,
            "accent-wash": dark_wash,
        },
    }


def stylesheet(color: str) -> str:
    """The palette as CSS: linked after site.css, it redefines the accent roles."""
    schemes = palette(color)

    def rules(scheme: str) -> str:
        return " ".join(f"--{name}: {value};" for name, value in schemes[scheme].items())

    return (
        f":root {{ {rules('light')} }}\n"
        f"@media (prefers-color-scheme: dark) {{ :root {{ {rules('dark')} }} }}\n"
    )
