"""See the modules of this package: requests, cases, tickets."""
