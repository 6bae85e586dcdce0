"""Partner webhooks: endpoints, the event outbox written with every logged change, signed delivery.

Plumbing, not domain logic: which models are subjects, and who their parties are, is named in
``settings.GIGFAIR_WEBHOOK_SUBJECTS``.
"""
