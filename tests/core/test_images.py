"""Uploaded images: only real PNG, JPEG and WebP files of a sane size get through; what comes
out is upright, resized for its use and carries none of the upload's metadata."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from eventreg.core import images
from eventreg.core.errors import Invalid


def encoded(image: Image.Image, format: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **params)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refusal(data: bytes, variant=images.PHOTO, **limits) -> str:
    with pytest.raises(Invalid) as refused:
        images.process(data, variant, field="photo", **limits)
    assert list(refused.value.errors) == ["photo"]
    return refused.value.errors["photo"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few dozen bytes: a bomb, were its
    pixels ever unpacked."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_a_file_that_is_not_an_image_is_refused_whatever_it_is_called(app):
    assert refusal(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == (
        "This file is not a PNG, JPEG or WebP image."
    )
    assert "not a PNG" in refusal(b"%PDF-1.7 pretending to be logo.png")


def test_other_image_formats_are_refused(app):
    gif = encoded(Image.new("RGB", (10, 10), "red"), "GIF")
    bmp = encoded(Image.new("RGB", (10, 10), "red"), "BMP")
    assert "not a PNG" in refusal(gif)
    assert "not a PNG" in refusal(bmp)


def test_an_empty_upload_asks_for_a_file(app):
    assert refusal(b"") == "Choose an image file to upload."


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(app):
    data = encoded(Image.new("RGB", (64, 64), "red"), "PNG")
    assert refusal(data, max_bytes=len(data) - 1) == (
        f"The file is too large: an image may be at most {(len(data) - 1) / 1048576:g} MB."
    )
    assert images.process(data, images.PHOTO, max_bytes=len(data)).width == 64
    # The default limit: 5 MB, whatever the bytes are.
    assert refusal(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)) == (
        "The file is too large: an image may be at most 5 MB."
    )


def test_an_image_bomb_is_refused_from_its_header(app):
    bomb = png_header_only(30_000, 30_000)  # 900 megapixels in a hundred bytes
    assert len(bomb) < 200
    assert refusal(bomb) == "The image has too many pixels: at most 40 million."
    assert refusal(png_header_only(8_000, 6_000)).startswith("The image has too many pixels")


@pytest.mark.parametrize(
    "size",
    [(10_000, 10_000), (20_000, 20_000)],
    ids=["pillow-warning", "pillow-error"],
)
def test_pillows_own_bomb_check_refuses_too_even_with_a_higher_limit(app, size):
    # Above Pillow's MAX_IMAGE_PIXELS it warns, above twice that it raises: both refuse.
    assert size[0] * size[1] > Image.MAX_IMAGE_PIXELS
    message = refusal(png_header_only(*size), max_pixels=10**12)
    assert message.startswith("The image has too many pixels")


def test_a_damaged_image_is_refused_with_a_message(app):
    data = encoded(Image.new("RGB", (200, 200), "red"), "JPEG")
    assert refusal(data[: len(data) // 2]) == (
        "The image could not be read: the file may be damaged."
    )


def camera_photo() -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, a GPS position and a comment, an
    ICC profile, and the sensor's orientation (6: turn 90° clockwise to view)."""
    image = Image.new("RGB", (600, 300), "white")
    image.paste((220, 0, 0), (0, 0, 300, 300))  # left half red, right half blue as stored
    image.paste((0, 0, 220), (300, 0, 600, 300))
    exif = image.getexif()
    exif[0x010F] = "SecretCam Maker"  # Make
    exif[0x0110] = "Model X-123"  # Model
    exif[0x0112] = 6  # Orientation
    exif[0x9286] = "home address in a comment"  # UserComment (in the EXIF IFD below)
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (45.0, 27.0, 51.5)
    gps[3], gps[4] = "E", (9.0, 11.0, 24.4)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encoded(image, "JPEG", exif=exif.tobytes(), icc_profile=srgb, comment=b"shot at home")


def test_exif_gps_and_every_other_metadata_are_gone_after_processing(app):
    upload = camera_photo()
    assert opened(upload).getexif().get_ifd(0x8825), "the test photo carries a GPS position"

    for variant in (images.PHOTO, images.BANNER, images.LOGO):
        result = images.process(upload, variant)
        image = opened(result.data)
        assert not image.getexif(), variant.name
        assert not image.info.get("exif") and not image.info.get("icc_profile"), variant.name
        assert "comment" not in image.info, variant.name
        for secret in (b"SecretCam", b"Model X", b"home", b"GPS"):
            assert secret not in result.data, (variant.name, secret)


def test_the_exif_orientation_is_applied(app):
    result = images.process(camera_photo(), images.LOGO)
    image = opened(result.data).convert("RGB")
    # Stored 600 x 300 lying on its side; upright it is 300 x 600, fitted into 600 x 200.
    assert (image.width, image.height) == (100, 200)
    # Turned clockwise: what was on the left is now on top.
    top, bottom = image.getpixel((50, 20)), image.getpixel((50, 180))
    assert top[0] > 180 and top[2] < 60, top
    assert bottom[2] > 180 and bottom[0] < 60, bottom


def test_text_chunks_of_a_png_are_gone(app):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe, 12 Private Road")
    upload = encoded(Image.new("RGBA", (300, 100), (10, 20, 30, 128)), "PNG", pnginfo=info)
    result = images.process(upload, images.LOGO)
    assert b"Private Road" in upload and b"Private Road" not in result.data
    assert opened(result.data).text == {}


@pytest.mark.parametrize(
    ("variant", "upload_size", "size"),
    [
        (images.LOGO, (1200, 1200), (200, 200)),  # fits within 600 x 200
        (images.LOGO, (1800, 300), (600, 100)),
        (images.LOGO, (120, 40), (120, 40)),  # a small logo is not enlarged
        (images.BANNER, (3200, 2000), (1600, 500)),  # cut to fill 16:5
        (images.BANNER, (800, 800), (800, 250)),  # smaller: cut to 16:5, not enlarged
        (images.PHOTO, (1000, 600), (400, 400)),  # a square
        (images.PHOTO, (200, 100), (100, 100)),
    ],
)
def test_each_use_gets_its_size(app, variant, upload_size, size):
    upload = encoded(Image.new("RGB", upload_size, "teal"), "PNG")
    result = images.process(upload, variant)
    assert (result.width, result.height) == size
    assert opened(result.data).size == size


def test_each_use_gets_a_format_every_place_it_goes_shows(app):
    upload = encoded(Image.new("RGBA", (900, 900), (200, 30, 30, 0)), "WEBP")
    logo = images.process(upload, images.LOGO)
    banner = images.process(upload, images.BANNER)
    photo = images.process(upload, images.PHOTO)
    assert (logo.content_type, opened(logo.data).format) == ("image/png", "PNG")
    assert (banner.content_type, opened(banner.data).format) == ("image/webp", "WEBP")
    assert (photo.content_type, opened(photo.data).format) == ("image/jpeg", "JPEG")
    # A logo keeps its transparency (mail and pages show it on their own backgrounds); a
    # photo has none, and what was see-through becomes white, not black.
    assert opened(logo.data).mode == "RGBA"
    assert opened(photo.data).getpixel((10, 10)) == (255, 255, 255)


def test_a_cmyk_jpeg_comes_out_in_rgb(app):
    upload = encoded(Image.new("CMYK", (500, 500), (0, 255, 255, 0)), "JPEG")  # red in ink
    image = opened(images.process(upload, images.PHOTO).data)
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((200, 200))
    assert red > 200 and green < 60 and blue < 60


def test_the_same_upload_gives_the_same_bytes(app):
    upload = camera_photo()
    assert images.process(upload, images.PHOTO) == images.process(upload, images.PHOTO)
