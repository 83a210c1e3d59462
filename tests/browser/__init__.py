"""Browser tests: the real server, driven by Chromium emulating a phone."""
