"""Credit scores and completion rates (see the credit issue)."""
