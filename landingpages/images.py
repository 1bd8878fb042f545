"""Images uploaded for landing pages: checked by their content, resized and re-encoded.

What is stored is never the uploaded file: it is decoded (only after its header says
it is a JPEG, PNG, WebP or GIF of a sane size) and written again by Pillow, so
metadata (EXIF with its GPS position, XMP, comments) and anything hidden after the
image data (a PHP payload appended to a JPEG) are gone.
"""

from __future__ import annotations

import io
import warnings

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from landingpages.models import PageImage
from smsmode.accounts.models import Account

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # checked from the header, before anything is decoded
MAX_WIDTH = 1200
MAX_HEIGHT = 3600  # a long banner is fine, a 1 x 40,000 px strip is not
JPEG_QUALITY = 82
WEBP_QUALITY = 82
ORIENTATION_TAG = 0x0112
# Pillow's format names -> what is stored. A GIF keeps its first frame only, as a PNG
# (lossless, keeps transparency): an animation would be decoded and resized frame by
# frame (a bomb in time), and a still GIF's palette gains nothing over PNG.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}


class ImageRefused(ValueError):
    """An upload that is not stored; `message` is translated, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_kind() -> ImageRefused:
    return ImageRefused(_("This file is not an image in JPEG, PNG, WebP or GIF format."))


def _open(uploaded_file: UploadedFile) -> Image.Image:
    """The image, opened lazily (header only) and checked for its size in pixels."""
    uploaded_file.seek(0)
    with warnings.catch_warnings():
        # Pillow warns above its own limit and raises above twice that; ours is lower.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(uploaded_file, formats=list(FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _refuse_kind() from None
    if image.format not in FORMATS:
        raise _refuse_kind()
    width, height = image.size
    if width < 1 or height < 1:
        raise _refuse_kind()
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> ImageRefused:
    return ImageRefused(
        _("This image is too large: %(limit)s megapixels at most. Make it smaller first.")
        % {"limit": MAX_PIXELS // 1_000_000}
    )


def _target_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours converted to sRGB when the image carries another profile (a phone's
    Display P3 photo), so that dropping the profile does not dull them."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _decode(image: Image.Image) -> Image.Image:
    """The first frame, decoded, upright, resized, in a mode its format can write."""
    source_format = image.format
    if source_format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that is still big enough
        # (in the sensor's orientation: a portrait photo may be stored on its side).
        width, height = image.size
        sideways = image.getexif().get(ORIENTATION_TAG) in (5, 6, 7, 8)
        if sideways:
            target_height, target_width = _target_size(height, width)
        else:
            target_width, target_height = _target_size(width, height)
        image.draft("RGB", (target_width, target_height))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image.seek(0)
        image.load()
    image = ImageOps.exif_transpose(image)  # the orientation tag goes with the EXIF
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if source_format == "JPEG":
        image = image.convert("RGB") if image.mode != "L" else image
    elif has_alpha:
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image = _to_srgb(image)
    target = _target_size(*image.size)  # exif_transpose may have swapped the sides
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Nothing of the original's metadata goes with the pixels.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    return clean


def _encode(image: Image.Image, source_format: str) -> bytes:
    out = io.BytesIO()
    if source_format == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif source_format == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:  # PNG, and a GIF's first frame
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def image_upload(*, account: Account, uploaded_file: UploadedFile) -> PageImage:
    """Check an uploaded image by its content, resize it to at most MAX_WIDTH pixels
    wide, re-encode it without metadata and store it (default storage) for `account`.

    Refuses (ImageRefused, nothing stored) a file over MAX_BYTES, anything that is not
    a JPEG, PNG, WebP or GIF whatever its name, an image over MAX_PIXELS (read from
    the header, before decoding: a decompression bomb never reaches memory), and a
    damaged image. JPEG stays JPEG (quality 82, progressive), PNG stays PNG, WebP
    stays WebP; a GIF (animated or not) becomes its first frame as a PNG.
    """
    size = uploaded_file.size
    if size is None or size > MAX_BYTES:
        raise ImageRefused(
            _("This image is too heavy: %(limit)s MB at most.") % {"limit": MAX_BYTES // 2**20}
        )
    if size == 0:
        raise ImageRefused(_("This file is empty."))
    image = _open(uploaded_file)
    source_format = image.format
    try:
        decoded = _decode(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise ImageRefused(_("This image is damaged or incomplete: it cannot be read.")) from None
    finally:
        image.close()
    data = _encode(decoded, source_format)
    page_image = PageImage(
        account=account,
        format=FORMATS[source_format],
        width=decoded.width,
        height=decoded.height,
        size=len(data),
    )
    # The name is ignored: upload_to builds it from the account and the public id.
    page_image.file.save("image", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            page_image.save()
    except Exception:
        page_image.file.delete(save=False)
        raise
    return page_image
