"""Uploaded photos: the one image pipeline (``process_image``) and where the results are
kept (``storage_for(settings)``, a ``Storage`` that puts, gets and deletes bytes by key).

    image = process_image(content)          # raises UploadError with a translated message
    storage = storage_for(settings)
    await storage.put(key, image.content)
"""

from portal.uploads.images import MAX_BYTES, MAX_PIXELS, MAX_SIDE, THUMB_SIDE, ProcessedImage, UploadError, check_size, process_image
from portal.uploads.storage import DiskStorage, Storage, new_key, storage_for

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "THUMB_SIDE",
    "DiskStorage",
    "ProcessedImage",
    "Storage",
    "UploadError",
    "check_size",
    "new_key",
    "process_image",
    "storage_for",
]
