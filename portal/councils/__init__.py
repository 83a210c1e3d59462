"""进建商: citizens invited into the station (sessions, representatives, resolutions)."""
