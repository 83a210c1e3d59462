"""People, their roles per station/community, sessions and login throttling."""
