"""Officers' photos for the contact boards, through the shared pipeline and storage of
``portal.uploads``.

An officer sets or removes their own photo; a station head does it for the officers of
the station's communities, an administrator for anyone holding the officer role. The
files are written before the row that names them and removed after the row stops
naming them, so a board never shows a missing photo. Every change is audited.
"""

from __future__ import annotations

from portal.accounts.rules import Actor, now
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.db import Statement, write_transaction
from portal.uploads import ProcessedImage, Storage, new_key
from portal.watchpoints.tables import OfficerPhoto


async def officer_communities(user_id: int) -> set[int]:
    """Communities where ``user_id`` holds the officer role (empty: not an officer)."""
    rows = await RoleGrant.select(RoleGrant.community).where((RoleGrant.user == user_id) & (RoleGrant.role == "officer")).limit(100).run()
    return {r["community"] for r in rows if r["community"]}


async def photo_target(actor: Actor, user_id: int) -> dict | None:
    """The officer whose photo ``actor`` may change (id and name), or None: themself, an
    officer of a community the actor heads, or anyone's for an admin."""
    communities = await officer_communities(user_id)
    if not communities:
        return None
    allowed = actor.id == user_id or actor.has("admin")
    if not allowed:
        headed = actor.communities("head") or frozenset()
        allowed = bool(communities & headed)
    if not allowed:
        return None
    return await User.select(User.id, User.real_name).where(User.id == user_id).first().run()


async def photo_of(user_id: int) -> dict | None:
    return await OfficerPhoto.select(OfficerPhoto.storage_key, OfficerPhoto.thumb_key, OfficerPhoto.updated_at).where(OfficerPhoto.user == user_id).first().run()


async def set_photo(actor: Actor, user_id: int, image: ProcessedImage, storage: Storage) -> None:
    if await photo_target(actor, user_id) is None:
        raise PermissionError(user_id)
    full_key, thumb_key = new_key("officers"), new_key("officers")
    await storage.put(full_key, image.content)
    await storage.put(thumb_key, image.thumb)
    try:
        async with write_transaction():
            old = await photo_of(user_id)
            values = {"storage_key": full_key, "thumb_key": thumb_key, "width": image.width, "height": image.height, "updated_at": now()}
            if old:
                await OfficerPhoto.update({getattr(OfficerPhoto, k): v for k, v in values.items()}).where(OfficerPhoto.user == user_id).run()
            else:
                await OfficerPhoto.insert(OfficerPhoto(user=user_id, **values)).run()
            await record("officer.photo_set", "user", user_id, actor=actor, after={"width": image.width, "height": image.height, "replaced": bool(old)})
    except BaseException:
        await storage.delete(full_key)
        await storage.delete(thumb_key)
        raise
    if old:
        await storage.delete(old["storage_key"])
        await storage.delete(old["thumb_key"])


async def remove_photo(actor: Actor, user_id: int, storage: Storage) -> bool:
    if await photo_target(actor, user_id) is None:
        raise PermissionError(user_id)
    async with write_transaction():
        old = await photo_of(user_id)
        if not old:
            return False
        await OfficerPhoto.delete().where(OfficerPhoto.user == user_id).run()
        await record("officer.photo_removed", "user", user_id, actor=actor, before={"photo": True})
    await storage.delete(old["storage_key"])
    await storage.delete(old["thumb_key"])
    return True


_PHOTOS_OF = Statement(lambda p: OfficerPhoto.select(OfficerPhoto.user, OfficerPhoto.updated_at).where(OfficerPhoto.user.is_in(p.users)))


async def with_photos(officers: list[dict]) -> list[dict]:
    """``officers`` (rows with ``id``) with ``photo_version`` set when they have a photo
    (a value that changes with the photo, so boards never show a stale cached one)."""
    ids = [o["id"] for o in officers]
    if not ids:
        return officers
    rows = await _PHOTOS_OF.run(users=ids)
    versions = {r["user"]: int(r["updated_at"].timestamp()) for r in rows}
    return [{**o, "photo_version": versions.get(o["id"])} for o in officers]
