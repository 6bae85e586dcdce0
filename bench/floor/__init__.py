"""The floor for ``bench/api.py``: bare Django and DRF, the naive shapes an API starts from.

One app with an eight-field order, served by a RetrieveAPIView and a ListAPIView over a
ModelSerializer, a POST that locks a row and makes one django-fsm transition, and for scale a
DRF APIView returning a small dict and a plain Django JsonResponse. Gigfair's endpoints are
measured against these on the same machine in the same run.
"""
