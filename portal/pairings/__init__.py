"""联访解: officers paired with units and people (pairings, contacts, opinions)."""
