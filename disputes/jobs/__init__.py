"""See the modules of this package: requests, cases, tickets, claims (and the SLA flags they share)."""
