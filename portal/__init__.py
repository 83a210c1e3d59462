"""Shouwang (守望): community safety coordination portal."""

import os

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")
