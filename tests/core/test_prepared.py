from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.db.models import Count

from core.prepared import PreparedPages, PreparedRead
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


def test_a_moment_is_an_argument_on_every_database():
    # given
    ana = UserFactory(username="ana")
    read = PreparedRead(
        lambda since: User.objects.filter(date_joined__gte=since).values_list("username"), "since", moments=("since",)
    )

    # when / then
    assert read(since=ana.date_joined) == [{"username": "ana"}]
    assert read(since=ana.date_joined + timedelta(seconds=1)) == []


def test_a_variant_is_compiled_on_its_own():
    # given: what the SQL bakes in (here, how many rows) is the variant
    for name in ("a", "b", "c"):
        UserFactory(username=name)
    read = PreparedRead(lambda limit: User.objects.order_by("username").values_list("username")[:limit])

    # when / then
    assert [row["username"] for row in read(variant=(1,))] == ["a"]
    assert [row["username"] for row in read(variant=(2,))] == ["a", "b"]


def test_prepared_pages_page_like_the_queryset():
    # given
    for index in range(5):
        UserFactory(username=f"u{index}")
    count = PreparedRead(
        lambda above: (
            User.objects.filter(pk__gt=above).order_by().values("is_active").annotate(n=Count("pk")).values_list("n")
        ),
        "above",
    )
    rows = PreparedRead(
        lambda start, stop, above: (
            User.objects.filter(pk__gt=above).order_by("username").values_list("username")[start:stop]
        ),
        "above",
    )
    pages = Paginator(PreparedPages(count=count, rows=rows, make=lambda row: row["username"], above=0), 2)

    # when / then
    assert pages.count == 5
    assert list(pages.page(1)) == ["u0", "u1"]
    assert list(pages.page(3)) == ["u4"]
    empty = Paginator(PreparedPages(count=count, rows=rows, make=lambda row: row, above=10**9), 2)
    assert empty.count == 0
    assert list(empty.page(1)) == []


def test_an_annotation_named_between_columns_keeps_its_place():
    # values_list() selects in the order it names, an annotation among the columns included
    ana = UserFactory(username="ana")
    read = PreparedRead(
        lambda user_id: (
            User.objects.filter(pk=user_id).annotate(shout=Count("pk")).values_list("id", "shout", "username")
        ),
        "user_id",
    )

    assert read(user_id=ana.pk) == [{"id": ana.pk, "shout": 1, "username": "ana"}]
