"""English is the source language: every msgstr of the en catalog is its msgid."""

import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        message.string = tuple(message.id[i] if i < len(message.id) else message.id[-1] for i in range(2))
    else:
        message.string = message.id
    message.flags.discard("fuzzy")
with open(path, "wb") as handle:
    write_po(handle, catalog, width=100, omit_header=False)
