"""Time away announced after a request was sent moves its deadline (time travel, through the services)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from core.jobs import sweep_run
from disputes.models import AwayPeriod, RequestState, Resolution, ResolutionRequest
from disputes.services.requests import request_open
from marketplace.models import Notification
from marketplace.services import availability_clear, availability_set
from tests.disputes.test_requests_services import open_cancel
from tests.factories import order_in_progress

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
TUESDAY = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)  # a Tuesday; 48 h later is Thursday 10:00
WEDNESDAY = TUESDAY + 24 * H


def _open_on(at: datetime, *, business_days: bool = False) -> ResolutionRequest:
    order = order_in_progress()
    if business_days:
        order.policy.windows_in_business_days = True
        order.policy.save()
    with time_machine.travel(at, tick=False):
        return open_cancel(order)


def _at(at: datetime, action, **kwargs):
    with time_machine.travel(at, tick=False):
        return action(**kwargs)


def _respond_by(r: ResolutionRequest) -> datetime:
    r.refresh_from_db()
    return r.respond_by


def test_time_away_announced_after_the_request_moves_its_deadline_by_the_paused_time():
    # given a request to the provider, due Thursday 10:00
    r = _open_on(TUESDAY)
    assert r.respond_by == TUESDAY + 48 * H

    # when on Wednesday the provider announces two days away from Wednesday noon
    _at(WEDNESDAY, availability_set, user=r.order.provider, away_from=WEDNESDAY + 2 * H, away_until=WEDNESDAY + 50 * H)

    # then the 48 paused hours are added, and the client is told the new deadline
    assert _respond_by(r) == TUESDAY + 96 * H
    notice = Notification.objects.get(user=r.author, kind="request_rescheduled")
    assert "is now due by" in notice.title


def test_coming_back_early_gives_back_only_the_time_actually_away():
    r = _open_on(TUESDAY)
    _at(WEDNESDAY, availability_set, user=r.order.provider, away_from=WEDNESDAY + 2 * H, away_until=WEDNESDAY + 50 * H)

    # when the provider switches back after 24 of the announced 48 hours
    _at(WEDNESDAY + 26 * H, availability_clear, user=r.order.provider)

    # then the window counts the 24 hours they were away, and the sweep keeps to the new deadline
    assert _respond_by(r) == TUESDAY + 72 * H
    with time_machine.travel(TUESDAY + 72 * H - timedelta(seconds=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 0
    with time_machine.travel(TUESDAY + 72 * H, tick=False):
        assert sweep_run("disputes.expire_requests").processed == 1
    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED)


def test_changing_the_return_date_keeps_the_time_already_away():
    r = _open_on(TUESDAY)
    _at(WEDNESDAY, availability_set, user=r.order.provider, away_from=WEDNESDAY + 2 * H, away_until=WEDNESDAY + 50 * H)

    # when, six hours into the time away, the provider moves the return to the end of that day
    _at(
        WEDNESDAY + 8 * H,
        availability_set,
        user=r.order.provider,
        away_from=WEDNESDAY + 2 * H,
        away_until=WEDNESDAY + 14 * H,
    )

    # then the twelve hours away count, no more and no less
    assert _respond_by(r) == TUESDAY + 60 * H


def test_time_away_without_a_return_date_holds_the_window_until_they_return():
    r = _open_on(TUESDAY)
    _at(WEDNESDAY, availability_set, user=r.order.provider)  # away from now, no return date

    # while away past the original deadline, the request waits
    with time_machine.travel(TUESDAY + 60 * H, tick=False):
        assert sweep_run("disputes.expire_requests").processed == 0

    # when they switch back on Friday 10:00, after 48 hours away
    _at(WEDNESDAY + 48 * H, availability_clear, user=r.order.provider)

    # then the window resumes with the 24 hours it had left
    assert _respond_by(r) == TUESDAY + 96 * H


def test_time_away_announced_after_the_fact_counts_only_from_the_announcement():
    r = _open_on(TUESDAY)

    # when on Wednesday the provider says they have been away since the request came in, until 20:00
    _at(WEDNESDAY, availability_set, user=r.order.provider, away_from=TUESDAY, away_until=WEDNESDAY + 10 * H)

    # then only the ten hours from the announcement on are added
    assert _respond_by(r) == TUESDAY + 58 * H


def test_business_day_windows_skip_the_weekend_and_the_time_away():
    # given a 48 h business-day window opened Thursday 10:00: due Monday 10:00
    thursday = TUESDAY + 48 * H
    r = _open_on(thursday, business_days=True)
    assert r.respond_by == thursday + 96 * H

    # when the provider announces Friday 10:00 to 22:00 away (12 hours)
    _at(
        thursday + 2 * H,
        availability_set,
        user=r.order.provider,
        away_from=thursday + 24 * H,
        away_until=thursday + 36 * H,
    )

    # then: Monday 22:00 (the weekend and the twelve hours away do not count)
    assert _respond_by(r) == thursday + 108 * H


def test_a_sent_reminder_is_rearmed_when_the_deadline_moves_far_enough(django_capture_on_commit_callbacks):
    # given a request whose reminder went out 12 h before its end
    r = _open_on(TUESDAY)
    with time_machine.travel(TUESDAY + 36 * H, tick=False):
        assert sweep_run("disputes.remind_requests").processed == 1
    r.refresh_from_db()
    assert r.reminder_sent_at is not None

    # when the provider announces a day away
    _at(TUESDAY + 37 * H, availability_set, user=r.order.provider, away_until=TUESDAY + 61 * H)

    # then the reminder is armed again and goes out 12 h before the new end
    r.refresh_from_db()
    assert r.respond_by == TUESDAY + 72 * H and r.reminder_sent_at is None
    with time_machine.travel(TUESDAY + 59 * H, tick=False):
        assert sweep_run("disputes.remind_requests").processed == 0
    with time_machine.travel(TUESDAY + 62 * H, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert sweep_run("disputes.remind_requests").processed == 1
    assert Notification.objects.filter(user=r.order.provider, kind="request_reminder").count() == 2
    assert any("Reminder" in m.subject for m in mail.outbox)


def test_the_clients_time_away_does_not_move_requests_the_provider_sent():
    order = order_in_progress()
    with time_machine.travel(TUESDAY, tick=False):
        r = open_cancel(order, by=order.provider)

    _at(WEDNESDAY, availability_set, user=order.client, away_until=WEDNESDAY + 10 * H)

    assert _respond_by(r) == TUESDAY + 48 * H
    assert AwayPeriod.objects.filter(user=order.client).count() == 1  # recorded all the same


def test_the_api_and_the_page_show_the_pause_and_the_moved_deadline(api_as, client):
    r = _open_on(TUESDAY)
    _at(WEDNESDAY, availability_set, user=r.order.provider, away_from=WEDNESDAY + 2 * H, away_until=WEDNESDAY + 50 * H)

    with time_machine.travel(WEDNESDAY + 4 * H, tick=False):
        body = api_as(r.author).get(f"/api/v1/requests/{r.pk}/").json()
        client.force_login(r.author)
        page = client.get(f"/requests/{r.pk}/").content.decode()

    assert datetime.fromisoformat(body["respond_by"]) == TUESDAY + 96 * H
    assert datetime.fromisoformat(body["paused"]["away_until"]) == WEDNESDAY + 50 * H
    assert body["paused"]["away_now"] is True
    assert "Paused while" in page and r.order.provider.public_name in page


def test_time_away_announced_after_the_window_ended_does_not_hold_the_request():
    # given a request whose window ended unanswered, not yet swept
    r = _open_on(TUESDAY)

    # when the provider then announces time away with no return date, and the sweep runs
    _at(TUESDAY + 49 * H, availability_set, user=r.order.provider, away_from=TUESDAY)
    with time_machine.travel(TUESDAY + 50 * H, tick=False):
        swept = sweep_run("disputes.expire_requests").processed

    # then the request is decided as due: the announcement came too late to pause it
    assert swept == 1
    r.refresh_from_db()
    assert r.state == RequestState.ACCEPTED


def test_an_update_request_page_shows_the_providers_responsiveness(client):
    # given a provider who let an update request expire
    order = order_in_progress()
    r = request_open(order=order, actor=order.client, type="request_update", message="How is it going?")
    with time_machine.travel(r.respond_by + H, tick=False):
        sweep_run("disputes.expire_requests")

    # when the client reads it
    client.force_login(order.client)
    page = client.get(f"/requests/{r.pk}/").content.decode()

    # then the record is named
    assert "let 1 update request go unanswered" in page
