"""Admin for this area (registered on import)."""
