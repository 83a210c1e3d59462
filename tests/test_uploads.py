"""The image pipeline: types by content, byte and pixel limits, metadata (EXIF, GPS)
removed, orientation applied, long side bounded, thumbnail; and disk storage by key."""

import io

import pytest
from PIL import ExifTags, Image

from portal.uploads import MAX_SIDE, THUMB_SIDE, DiskStorage, UploadError, new_key, process_image, storage_for
from portal.web.i18n import activate, restore


def jpeg_with_gps(width=400, height=200, orientation=1) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (36.0, 37.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (101.0, 46.0, 48.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(width=60, height=40, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (0, 120, 0, 128) if mode == "RGBA" else 0).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def english():
    token = activate("en")
    yield
    restore(token)


def test_the_test_photo_really_carries_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_exif_and_gps_are_removed_and_orientation_applied():
    result = process_image(jpeg_with_gps(400, 200, orientation=6))  # 6: rotate 90° to view
    with Image.open(io.BytesIO(result.content)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "xmp" not in image.info
        assert image.size == (200, 400) == (result.width, result.height)
    assert b"PhoneMaker" not in result.content and b"GPS" not in result.content


def test_long_side_bounded_and_thumbnail_made():
    result = process_image(jpeg_with_gps(MAX_SIDE * 2, MAX_SIDE))
    assert (result.width, result.height) == (MAX_SIDE, MAX_SIDE // 2)
    assert max(result.thumb_width, result.thumb_height) == THUMB_SIDE
    with Image.open(io.BytesIO(result.thumb)) as thumb:
        assert thumb.size == (result.thumb_width, result.thumb_height) and thumb.format == "JPEG"


def test_png_with_transparency_becomes_jpeg():
    result = process_image(png())
    with Image.open(io.BytesIO(result.content)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not a photo at all", b"\xff\xd8\xff\xe0 truncated jpeg", b"GIF89a" + b"\0" * 40, jpeg_with_gps()[:300]],
    ids=["pdf", "fake-jpeg-header", "gif", "truncated"],
)
def test_non_images_are_refused_whatever_their_name(content):
    with pytest.raises(UploadError) as error:
        process_image(content)
    assert error.value.message in ("This file is not an image we can read.", "The photo must be a JPEG, PNG or WebP image.")


def test_gif_is_refused_by_type():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    with pytest.raises(UploadError, match="JPEG, PNG or WebP"):
        process_image(out.getvalue())


def test_empty_and_oversized_files_are_refused():
    with pytest.raises(UploadError, match="empty"):
        process_image(b"")
    with pytest.raises(UploadError, match="larger than 1 MB"):
        process_image(jpeg_with_gps() + b"\0" * (1024 * 1024), max_bytes=1024 * 1024)


def test_too_many_pixels_refused_before_decoding():
    # A tiny file that claims 10000 x 10000 pixels (100 MP): a decompression bomb.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(UploadError, match="too many pixels"):
        process_image(out.getvalue())


def test_messages_are_translated():
    token = activate("zh_CN")
    try:
        with pytest.raises(UploadError) as error:
            process_image(b"not an image")
        assert error.value.message != "This file is not an image we can read."
    finally:
        restore(token)


async def test_disk_storage_puts_gets_and_deletes_by_key(tmp_path):
    storage = DiskStorage(tmp_path)
    key = new_key("logs")
    await storage.put(key, b"abc")
    assert await storage.get(key) == b"abc"
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []
    await storage.delete(key)
    assert await storage.get(key) is None
    await storage.delete(key)  # deleting twice is fine
    for bad in ("../etc/passwd", "/abs.jpg", "a/../b.jpg", "UPPER.jpg", "noext"):
        with pytest.raises(ValueError):
            await storage.put(bad, b"x")


def test_storage_folder_from_settings(settings, tmp_path):
    from dataclasses import replace

    assert isinstance(storage_for(replace(settings, upload_dir=str(tmp_path))), DiskStorage)
    assert storage_for(replace(settings, upload_dir=str(tmp_path))).root == tmp_path
    assert replace(settings, upload_dir="").upload_path.name == "uploads"
