from __future__ import annotations

import pytest

from core.prepared import PreparedRead
from marketplace.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _by_id(user_id):
    return User.objects.filter(pk=user_id).values_list("id", "username", "date_joined")


def test_a_prepared_read_runs_its_queryset_again_with_new_arguments():
    # given
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    read = PreparedRead(_by_id, "user_id")

    # when
    first, second, nobody = read(user_id=ana.pk), read(user_id=bo.pk), read(user_id=ana.pk + bo.pk + 1000)

    # then: the rows the queryset gives, with the database's values converted (an aware datetime)
    assert first == [{"id": ana.pk, "username": "ana", "date_joined": ana.date_joined}]
    assert second == [{"id": bo.pk, "username": "bo", "date_joined": bo.date_joined}]
    assert first[0]["date_joined"].tzinfo is not None
    assert nobody == []


def test_a_prepared_read_refuses_other_arguments():
    read = PreparedRead(_by_id, "user_id")
    with pytest.raises(TypeError):
        read(id=1)


def test_an_argument_the_queryset_does_not_use_is_refused_when_compiling():
    read = PreparedRead(lambda user_id: User.objects.values_list("id"), "user_id")
    with pytest.raises(ValueError, match="user_id"):
        read(user_id=1)
