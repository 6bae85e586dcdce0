"""Resolution requests, support cases and after-sales tickets (see the Resolution Center issue)."""
