"""Field logs: patrols, hazards, mediations, help given and publicity sessions."""
