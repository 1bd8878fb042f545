"""Image uploads (landingpages.images): refused by content, resized, re-encoded, stripped."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from landingpages.images import MAX_BYTES, MAX_WIDTH, ImageRefused, image_upload
from landingpages.models import PageImage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _image(fmt: str, size=(800, 600), mode="RGB", color="red", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims `width` x `height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _stored(image: PageImage) -> Image.Image:
    with image.file.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


def test_a_php_file_renamed_jpg_is_refused(team):
    with pytest.raises(ImageRefused) as error:
        image_upload(
            account=team.account,
            uploaded_file=_upload("shell.jpg", b"<?php system($_GET['c']); ?>"),
        )
    assert "JPEG, PNG, WebP or GIF" in error.value.message
    assert not PageImage.objects.exists()


def test_a_text_file_is_refused(team):
    with pytest.raises(ImageRefused):
        image_upload(account=team.account, uploaded_file=_upload("notes.png", b"hello\n" * 100))


def test_other_image_formats_are_refused(team):
    for fmt in ["BMP", "TIFF", "ICO"]:
        with pytest.raises(ImageRefused):
            image_upload(account=team.account, uploaded_file=_upload(f"x.{fmt}", _image(fmt)))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    with pytest.raises(ImageRefused):
        image_upload(account=team.account, uploaded_file=_upload("x.svg", svg))
    assert not PageImage.objects.exists()


def test_an_image_of_too_many_pixels_is_refused_before_decoding(team):
    # 10,000 x 10,000 of one colour: a few kilobytes of PNG, 100 megapixels.
    huge = _image("PNG", size=(10_000, 10_000), mode="1", color=1)
    assert len(huge) < MAX_BYTES
    with pytest.raises(ImageRefused) as error:
        image_upload(account=team.account, uploaded_file=_upload("huge.png", huge))
    assert "megapixels" in error.value.message


@pytest.mark.parametrize("size", [(100_000, 100_000), (7_000, 6_000), (1, 50_000_000)])
def test_a_decompression_bomb_is_refused(team, size):
    # The header says billions of pixels (Pillow itself would raise at twice its own
    # limit, warn above it): refused from the header, nothing decoded.
    bomb = _png_header_only(*size)
    with pytest.raises(ImageRefused) as error:
        image_upload(account=team.account, uploaded_file=_upload("bomb.png", bomb))
    assert "megapixels" in error.value.message


def test_a_damaged_image_is_refused(team):
    damaged = _png_header_only(2000, 2000)  # its data stops after 64 bytes
    with pytest.raises(ImageRefused) as error:
        image_upload(account=team.account, uploaded_file=_upload("cut.png", damaged))
    assert "damaged" in error.value.message
    truncated = _image("JPEG", size=(1000, 1000))[:300]
    with pytest.raises(ImageRefused):
        image_upload(account=team.account, uploaded_file=_upload("cut.jpg", truncated))


def test_an_oversized_file_is_refused(team):
    heavy = _image("PNG", size=(10, 10)) + b"\0" * MAX_BYTES
    with pytest.raises(ImageRefused) as error:
        image_upload(account=team.account, uploaded_file=_upload("heavy.png", heavy))
    assert "5 MB" in error.value.message


def test_an_empty_file_is_refused(team):
    with pytest.raises(ImageRefused):
        image_upload(account=team.account, uploaded_file=_upload("empty.jpg", b""))


def _jpeg_with_gps(size=(3000, 2000), orientation=1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(
        out, "JPEG", exif=exif.tobytes(), comment=b"secret comment"
    )
    return out.getvalue()


def test_a_jpeg_loses_its_exif_and_gps_and_is_resized(team):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it has a position
    image = image_upload(account=team.account, uploaded_file=_upload("photo.jpeg", original))
    assert (image.format, image.width, image.height) == ("jpg", MAX_WIDTH, 800)
    assert image.account == team.account
    stored = _stored(image)
    assert stored.format == "JPEG"
    assert stored.size == (MAX_WIDTH, 800)
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert "comment" not in stored.info
    assert stored.info.get("progressive") or stored.info.get("progression")
    raw = Path(image.file.path).read_bytes()
    assert b"PhoneMaker" not in raw and b"secret comment" not in raw
    assert image.size == len(raw)
    assert image.file.name == f"landing/{team.account.pk}/{image.public_id}.jpg"


def test_a_sideways_photo_is_turned_upright(team):
    # Orientation 6: stored landscape, shown portrait. The tag goes, so the pixels turn.
    image = image_upload(
        account=team.account, uploaded_file=_upload("p.jpg", _jpeg_with_gps(orientation=6))
    )
    assert (image.width, image.height) == (MAX_WIDTH, 1800)


def test_whatever_follows_the_image_data_is_dropped(team):
    polyglot = _image("JPEG") + b"<?php system($_GET['c']); ?>"
    image = image_upload(account=team.account, uploaded_file=_upload("x.jpg", polyglot))
    assert b"<?php" not in Path(image.file.path).read_bytes()


def test_a_small_image_keeps_its_size(team):
    image = image_upload(
        account=team.account, uploaded_file=_upload("s.png", _image("PNG", (300, 200)))
    )
    assert (image.width, image.height) == (300, 200)


@pytest.mark.parametrize(
    ("fmt", "mode", "stored_format", "extension"),
    [
        ("PNG", "RGBA", "PNG", "png"),
        ("PNG", "P", "PNG", "png"),
        ("WEBP", "RGB", "WEBP", "webp"),
        ("WEBP", "RGBA", "WEBP", "webp"),
        ("GIF", "P", "PNG", "png"),
    ],
)
def test_png_webp_and_gif_are_accepted(team, fmt, mode, stored_format, extension):
    color = (10, 20, 200, 128) if mode == "RGBA" else 3 if mode == "P" else "blue"
    data = _image(fmt, size=(1600, 400), mode=mode, color=color)
    image = image_upload(account=team.account, uploaded_file=_upload(f"x.{fmt}", data))
    assert image.format == extension
    assert (image.width, image.height) == (MAX_WIDTH, 300)
    stored = _stored(image)
    assert stored.format == stored_format
    assert not stored.getexif()
    if mode == "RGBA":
        assert stored.mode == "RGBA"  # transparency kept


def test_an_animated_gif_keeps_its_first_frame(team):
    frames = [Image.new("P", (200, 100), i) for i in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = image_upload(account=team.account, uploaded_file=_upload("a.gif", out.getvalue()))
    stored = _stored(image)
    assert stored.format == "PNG"
    assert getattr(stored, "n_frames", 1) == 1


def test_a_png_with_text_chunks_loses_them(team):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Secret")
    out = io.BytesIO()
    Image.new("RGB", (100, 100)).save(out, "PNG", pnginfo=info)
    image = image_upload(account=team.account, uploaded_file=_upload("t.png", out.getvalue()))
    assert b"Jane Secret" not in Path(image.file.path).read_bytes()
