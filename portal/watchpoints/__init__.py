"""Watch points (平安守望点): safe places kept by a host, verified by the community officer,
with opening hours, capabilities, a photo, and printable contact boards (警民联系牌)."""
