"""Uploaded images made safe to show: checked, decoded once, resized and re-encoded.

What comes in is whatever a browser sent. It is accepted only if its content (never its
name) is a PNG, JPEG or WebP image of a sane size: at most ``max_bytes`` long and
``max_pixels`` large, checked from the header before any pixel is decoded, so a small file
that unpacks into gigabytes (an image bomb) is refused without being unpacked. Pillow's own
bomb warning counts as a refusal too.

What goes out is a new file drawn from the decoded pixels only: turned upright by its EXIF
orientation, converted to sRGB, resized for its use, and encoded afresh with no metadata at
all (no EXIF, GPS position, camera serial, comments or colour profile survive). Logos are
PNG, because they go into e-mails and every mail client shows PNG; banners are WebP (pages
only, every current browser shows it, a third of the JPEG size); speaker photos are JPEG, as
the public API hands their addresses to apps that may show nothing else.
"""

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps

from eventreg.core.errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
# 40 megapixels: any camera's full-size photo fits; decoding one takes about 160 MB.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class Variant:
    """What an image is made into: at most ``width`` x ``height``; ``crop`` fills that shape
    exactly (cutting the overflow), otherwise the whole image fits inside it."""

    name: str
    width: int
    height: int
    crop: bool
    format: Literal["PNG", "JPEG", "WEBP"]

    @property
    def content_type(self) -> str:
        return f"image/{self.format.lower()}"


LOGO = Variant("logo", 600, 200, crop=False, format="PNG")
BANNER = Variant("banner", 1600, 500, crop=True, format="WEBP")
PHOTO = Variant("photo", 400, 400, crop=True, format="JPEG")


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def process(
    data: bytes,
    variant: Variant,
    *,
    field: str = "image",
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> ProcessedImage:
    """The upload made into ``variant``; raises ``Invalid`` on ``field`` with the reason."""
    if not data:
        raise Invalid({field: _("Choose an image file to upload.")})
    if len(data) > max_bytes:
        raise Invalid({field: too_large_message(max_bytes)})
    image = _decode(data, variant, field, max_pixels)
    image = ImageOps.exif_transpose(image)
    image = _fit(_srgb(image, keep_alpha=variant.format == "PNG"), variant)
    return _encode(image, variant)


def too_large_message(max_bytes: int) -> str:
    return str(
        _(
            "The file is too large: an image may be at most %(size)s MB.",
            size=f"{max_bytes / (1024 * 1024):g}",
        )
    )


def _decode(data: bytes, variant: Variant, field: str, max_pixels: int) -> Image.Image:
    not_an_image = Invalid({field: _("This file is not a PNG, JPEG or WebP image.")})
    too_many_pixels = Invalid(
        {
            field: _(
                "The image has too many pixels: at most %(count)d million.",
                count=max_pixels // 1_000_000,
            )
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Reads the header only: format and size are known before any pixel is unpacked.
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except Exception:  # Pillow raises many kinds of error on hostile input
            raise not_an_image from None
        if image.width * image.height > max_pixels:
            raise too_many_pixels
        if image.format in ("JPEG", "MPO"):  # MPO: the JPEG of cameras with two pictures
            # JPEG decodes straight at a fraction of its size (never below what the variant
            # needs, whichever way the EXIF orientation turns it): faster, less memory.
            image.draft(None, (max(variant.width, variant.height),) * 2)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except Exception:
            raise Invalid(
                {field: _("The image could not be read: the file may be damaged.")}
            ) from None
    return image


def _srgb(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """RGB (RGBA for a PNG with transparency) in sRGB: the colour profile a photo carries
    is applied here, since the profile itself is not kept."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image if image.mode in ("RGB", "RGBA", "CMYK") else image.convert(mode),
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels are used as they are
    if alpha and not keep_alpha:
        # JPEG and the banner have no transparency: what was see-through becomes white.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert(mode if keep_alpha else "RGB")


def _fit(image: Image.Image, variant: Variant) -> Image.Image:
    """Never enlarged: a small image keeps its pixels (cropped to the shape if needed)."""
    if not variant.crop:
        image = image.copy()
        image.thumbnail((variant.width, variant.height), Image.Resampling.LANCZOS)
        return image
    scale = max(variant.width / image.width, variant.height / image.height)
    if scale <= 1:
        size = (variant.width, variant.height)
    else:
        size = (max(1, round(variant.width / scale)), max(1, round(variant.height / scale)))
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, variant: Variant) -> ProcessedImage:
    # Nothing the upload carried is written back: no EXIF, text chunks, profile or DPI.
    image.info = {}
    out = io.BytesIO()
    if variant.format == "PNG":
        image.save(out, "PNG", optimize=True)
    elif variant.format == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    else:
        image.save(out, "WEBP", quality=80, method=4)
    return ProcessedImage(out.getvalue(), variant.content_type, image.width, image.height)


def dimensions(data: bytes) -> tuple[int, int]:
    """Width and height of an image this module made (read from its header)."""
    with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
        return image.size
