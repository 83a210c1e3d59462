"""The heads' overview: every figure the articles count, by period and by unit."""
