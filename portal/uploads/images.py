"""The image pipeline: recognise the type from the bytes (never the name or the browser's
content type), refuse what is too large in bytes or pixels, and re-encode as a JPEG that is
upright, at most ``MAX_SIDE`` on its long side and carries no metadata (EXIF, GPS, XMP),
with a thumbnail beside it."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.web.i18n import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused; common 12-24 MP pass
MAX_SIDE = 1600
THUMB_SIDE = 320
FORMATS = ("JPEG", "PNG", "WEBP")
QUALITY = 82

# Pillow's own bomb guard: a warning at this many pixels, an error at twice as many. The
# explicit check below refuses earlier; this stops anything that reaches the decoder.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class UploadError(ValueError):
    """A file the pipeline refuses; ``message`` is translated, for the field's error."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes  # JPEG
    width: int
    height: int
    thumb: bytes  # JPEG, at most THUMB_SIDE on a side
    thumb_width: int
    thumb_height: int


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif= / icc_profile= arguments: Pillow writes none of the source's metadata.
    image.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _not_an_image() -> UploadError:
    return UploadError(_("This file is not an image we can read."))


def check_size(content: bytes, max_bytes: int = MAX_BYTES) -> None:
    """The cheap part of the checks, for a form refused anyway: its answer names every problem."""
    if not content:
        raise UploadError(_("The photo file is empty."))
    if len(content) > max_bytes:
        raise UploadError(_("The photo is larger than %(megabytes)d MB.", megabytes=max_bytes // (1024 * 1024)))


def process_image(content: bytes, max_bytes: int = MAX_BYTES) -> ProcessedImage:
    """Check and re-encode one uploaded photo, or raise ``UploadError``."""
    check_size(content, max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format not in FORMATS:
                    raise UploadError(_("The photo must be a JPEG, PNG or WebP image."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadError(_("The photo has too many pixels; take a smaller one."))
                probe.verify()  # reads the whole file: truncated or corrupt data fails here
            with Image.open(io.BytesIO(content)) as source:
                image = ImageOps.exif_transpose(source)  # upright, then the EXIF goes
                if image.mode not in ("RGB", "L"):
                    background = Image.new("RGB", image.size, "white")  # transparency on white
                    rgba = image.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    image = background
                else:
                    image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                full = _jpeg(image)
                thumb_image = image.copy()
                thumb_image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
                return ProcessedImage(full, image.width, image.height, _jpeg(thumb_image), thumb_image.width, thumb_image.height)
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_("The photo has too many pixels; take a smaller one.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise _not_an_image() from None

