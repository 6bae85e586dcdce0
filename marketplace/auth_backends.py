"""The signed-in user of every page, read by a prepared read (each request with a session makes it)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from core.prepared import PreparedRead, columns, instance

from .models import User

_user_by_pk = PreparedRead(lambda pk: User.objects.filter(pk=pk).values_list(*columns(User)), "pk")


class PreparedModelBackend(ModelBackend):
    """Django's ``ModelBackend``, its ``get_user`` (the session's user, on every request) prepared."""

    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:
            return None
        if pk is None:
            return None
        rows = _user_by_pk(pk=pk)
        if not rows:
            return None
        user = instance(User, rows[0])
        return user if self.user_can_authenticate(user) else None
