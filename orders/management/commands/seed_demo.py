"""Fill a fresh database with a believable demo: people, listings and orders in every state.

Everything goes through the real services, as a person would do it. Where a state needs the
past (a finished shift, a delivery the client has ignored for days) the finished order is
moved back in time as a whole, so its timestamps, log, payments and ledger stay coherent.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.jobs import sweep_run
from core.models import TransitionLog
from core.support import SUPERVISOR_GROUP, SUPPORT_GROUP
from credit.services import credit_adjust
from marketplace.models import Listing, ListingKind, User
from marketplace.services import listing_create, user_create
from orders import services
from orders.cancellation import order_cancel
from orders.models import CancelReason, Delivery, LedgerTransaction, Order, Payment, Policy
from orders.reviews import review_post
from orders.services import policy_current
from orders.waitlist import waitlist_join

DEMO_PASSWORD = "Gigfair-Demo-2468"  # noqa: S105 - a demo login, printed on purpose
ADMIN_USERNAME = "admin"
DEMO_USERS = (
    ("ana", "Ana Souza", "runs a small design studio; orders services and posts shifts", "America/Sao_Paulo"),
    ("bram", "Bram de Vries", "freelance designer and translator", "Europe/Amsterdam"),
    ("chen", "Chen Wei", "web developer; also hires crews for events", "Asia/Shanghai"),
    ("dora", "Dora Jansen", "photographer who picks up shifts", "Europe/Amsterdam"),
)
# Back-office staff: an agent (the support group) and a supervisor (support and supervisor).
DEMO_STAFF = (
    ("eva", "Eva Lindqvist", "support agent", (SUPPORT_GROUP,), "Europe/Stockholm"),
    (
        "sam",
        "Sam Okafor",
        "support supervisor: appeals and policy edits",
        (SUPPORT_GROUP, SUPERVISOR_GROUP),
        "Europe/London",
    ),
)


class Command(BaseCommand):
    help = "Create demo users, listings and orders in every state (does nothing if they exist)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the web server listens, for the hints printed at the end.",
        )

    def handle(self, *args, base_url: str, **options) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("seed_demo creates logins with a published password: not in production.")
        usernames = [ADMIN_USERNAME, *(row[0] for row in (*DEMO_USERS, *DEMO_STAFF))]
        if User.objects.filter(username__in=usernames).exists():
            self.stdout.write("Demo data is already there; nothing to do.")
        else:
            with transaction.atomic():
                summary = self._seed()
            self.stdout.write(self.style.SUCCESS("Demo data created:"))
            for line in summary:
                self.stdout.write(f"  {line}")
        self._print_logins(base_url.rstrip("/"))

    # --- output -------------------------------------------------------------------------

    def _print_logins(self, base_url: str) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins (one password for all):")
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {ADMIN_USERNAME:<6} support superuser, signs in at {base_url}/admin/")
        for username, display, about, zone in DEMO_USERS:
            self.stdout.write(f"  {username:<6} {display}: {about} ({zone})")
        for username, display, about, _groups, zone in DEMO_STAFF:
            self.stdout.write(f"  {username:<6} {display}: {about}, signs in at {base_url}/admin/ ({zone})")
        self.stdout.write(f"Web: {base_url}/   Admin: {base_url}/admin/   API docs: {base_url}/api/v1/docs/")

    # --- data ---------------------------------------------------------------------------

    def _seed(self) -> list[str]:
        now = timezone.now()
        admin = User.objects.create_superuser(
            username=ADMIN_USERNAME,
            email="support@gigfair.example",
            password=DEMO_PASSWORD,
            display_name="Gigfair support",
            email_verified_at=now,
        )
        people: dict[str, User] = {"admin": admin}
        for username, display, about, zone in DEMO_USERS:
            user = user_create(  # verified: the demo's notifications show up in the e-mail log at once
                username=username,
                email=f"{username}@gigfair.example",
                password=DEMO_PASSWORD,
                display_name=display,
                time_zone=zone,
                email_verified=True,
            )
            user.bio = about.capitalize() + "."
            user.save(update_fields=("bio",))
            people[username] = user
        for username, display, _about, groups, zone in DEMO_STAFF:
            user = user_create(
                username=username,
                email=f"{username}@gigfair.example",
                password=DEMO_PASSWORD,
                display_name=display,
                time_zone=zone,
                email_verified=True,
            )
            user.is_staff = True
            user.save(update_fields=("is_staff",))
            user.groups.add(*Group.objects.filter(name__in=groups))
        ana, bram, chen, dora = (people[name] for name in ("ana", "bram", "chen", "dora"))

        def service(owner: User, title: str, price: str, *, days: int, revisions: int, currency: str = "EUR"):
            return listing_create(
                owner=owner,
                kind=ListingKind.SERVICE,
                title=title,
                price=Decimal(price),
                currency=currency,
                description=f"{title}. Tell me what you need in the requirements; I reply within a day.",
                delivery_days=days,
                revisions=revisions,
            )

        def shift(owner: User, title: str, price: str, *, starts_in: timedelta, hours: int, location: str, **extra):
            starts = (now + starts_in).replace(second=0, microsecond=0)
            return listing_create(
                owner=owner,
                kind=ListingKind.SHIFT,
                title=title,
                price=Decimal(price),
                description=f"{title}. Please check in on the platform when you arrive.",
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                location=location,
                **extra,
            )

        logo = service(bram, "Logo design for a small business", "120.00", days=3, revisions=2)
        translation = service(bram, "Dutch ↔ English translation, up to 2,000 words", "85.00", days=2, revisions=2)
        bugfix = service(chen, "Fix a bug in your Django app", "150.00", days=2, revisions=1, currency="USD")
        landing = service(chen, "One-page landing site", "400.00", days=7, revisions=2, currency="USD")
        photos = service(dora, "Product photography, 10 edited photos", "180.00", days=4, revisions=1)
        portrait = service(dora, "Portrait session in Utrecht", "95.00", days=5, revisions=1)
        style_guide = service(bram, "Brand style guide", "260.00", days=10, revisions=3, currency="GBP")
        service(chen, "Code review of one pull request", "60.00", days=1, revisions=0, currency="USD")
        service(dora, "Event photography, half a day", "320.00", days=3, revisions=1)

        market = shift(
            ana,
            "Barista at the Saturday market",
            "96.00",
            starts_in=timedelta(days=2),
            hours=6,
            location="Vredenburg, Utrecht",
        )
        setup = shift(
            chen,
            "Event setup crew",
            "72.00",
            starts_in=timedelta(minutes=30),
            hours=4,
            location="Jaarbeurs hall 7, Utrecht",
        )
        stocktake = shift(
            ana,
            "Warehouse stock count",
            "110.00",
            starts_in=timedelta(hours=1),
            hours=5,
            location="Cartesiusweg 90, Utrecht",
        )
        shift(
            ana,
            "Flyer distribution in the city centre",
            "60.00",
            starts_in=timedelta(days=3),
            hours=4,
            location="Neude, Utrecht",
            positions=3,
        )
        shift(
            chen,
            "Waiter at a wedding dinner",
            "140.00",
            starts_in=timedelta(days=5),
            hours=7,
            location="Kasteel de Haar, Haarzuilens",
            min_credit_score=80,
        )

        made: list[str] = []

        def note(order: Order, what: str) -> None:
            order.refresh_from_db()
            made.append(f"order #{order.pk:<3} {order.get_state_display():<22} {order.title} — {what}")

        # awaiting requirements: ordered, nothing sent yet.
        order = services.order_create(actor=ana, listing_id=logo.pk)
        note(order, "ana ordered from bram, no requirements yet")

        # in progress: requirements sent with the order.
        order = services.order_create(
            actor=ana,
            listing_id=bugfix.pk,
            requirements="The checkout page returns a 500 when the basket is empty. Repo access follows.",
        )
        note(order, "ana ordered from chen with requirements")

        # delivered, one revision used.
        order = services.order_create(
            actor=dora, listing_id=translation.pk, requirements="Translate our studio's price list into English."
        )
        order = services.order_deliver(order=order, actor=bram, message="Here is the English price list.")
        order = services.order_request_revision(
            order=order, actor=dora, message="Please use British spelling throughout."
        )
        order = services.order_deliver(order=order, actor=bram, message="Revised with British spelling.")
        note(order, "dora asked bram for one revision; one left")

        # completed service, accepted by the client a few days ago.
        order = services.order_create(
            actor=ana, listing_id=landing.pk, requirements="A landing page for the spring collection."
        )
        order = services.order_deliver(order=order, actor=chen, message="Live on the staging URL; files attached.")
        order = services.order_accept_delivery(order=order, actor=ana)
        _move_back(order, timedelta(days=6))
        review_post(order=order, actor=ana, rating=5, text="Fast, clear and the page looks great on phones.")
        review_post(order=order, actor=chen, rating=5, text="Clear brief and quick feedback. A pleasure.")
        note(order, "ana accepted chen's delivery; escrow released; both reviewed (published)")

        # delivered four days ago and ignored: the next sweep completes it by itself.
        order = services.order_create(
            actor=chen, listing_id=photos.pk, requirements="Ten photos of our new headphones on white."
        )
        order = services.order_deliver(order=order, actor=dora, message="Ten edited photos in the zip.")
        _move_back(order, timedelta(days=4))
        note(order, "chen never answered: the next auto-complete sweep completes it")

        # late: due yesterday, not delivered; the late sweep marks it and tells both parties.
        order = services.order_create(
            actor=chen, listing_id=portrait.pk, requirements="Portraits of our team of five for the website."
        )
        _move_back(order, timedelta(days=6))
        sweep_run("orders.mark_late_orders")
        note(order, "dora missed the due date; chen may force-cancel a day after it")

        # cancelled by the client before sending requirements: free, the refund is settling.
        order = services.order_create(actor=ana, listing_id=style_guide.pk)
        order = order_cancel(
            order=order, actor=ana, reason=CancelReason.SCHEDULE_CHANGE, message="The rebrand is postponed."
        )
        note(order, "ana cancelled before requirements; full refund on its way")

        # booked shift, in two days.
        order = services.order_create(actor=dora, listing_id=market.pk)
        waitlist_join(listing=market, worker=bram)
        note(order, "dora booked ana's shift (its one place); bram waits on its waitlist")

        # checked in: the shift starts in half an hour, so check-in is open now.
        order = services.order_create(actor=bram, listing_id=setup.pk)
        order = services.order_check_in(order=order, actor=bram)
        note(order, "bram checked in to chen's shift")

        # completed shift, last week: booked, checked in and confirmed, then moved back.
        order = services.order_create(actor=dora, listing_id=stocktake.pk)
        order = services.order_check_in(order=order, actor=dora)
        order = services.order_complete(order=order, actor=ana)
        _move_back(order, timedelta(days=8))
        Listing.objects.filter(pk=stocktake.pk).update(
            starts_at=F("starts_at") - timedelta(days=8),
            ends_at=F("ends_at") - timedelta(days=8),
            created_at=F("created_at") - timedelta(days=9),
        )
        review_post(order=order, actor=dora, rating=4, text="Well organised; the coffee ran out early.")
        note(order, "ana confirmed dora's shift; escrow released; dora reviewed (blind until ana does)")

        # The demo's policy asks a deposit of workers under 80 for shifts above 50.00; bram's
        # score is lowered by support, so his wallet and the flyer shift show what it asks of him.
        Policy.objects.filter(pk=policy_current().pk).update(
            deposit_below_score=80, deposit_above_price=Decimal("50.00"), deposit_amount=Decimal("30.00")
        )
        credit_adjust(user=bram, delta=-28, actor=admin, reason="Three shifts cancelled within two hours of the start")
        made.append("bram's credit score is 72: shifts paying over 50.00 ask him for a 30.00 deposit (his wallet)")
        return made


def _move_back(order: Order, delta: timedelta) -> None:
    """Shift a finished demo order and everything it wrote back in time by ``delta``."""
    fields = (
        "created_at",
        "requirements_submitted_at",
        "due_at",
        "delivered_at",
        "starts_at",
        "ends_at",
        "checked_in_at",
        "auto_complete_at",
        "completed_at",
        "cancelled_at",
    )
    Order.objects.filter(pk=order.pk).update(**{name: F(name) - delta for name in fields})
    TransitionLog.objects.filter(order=order).update(at=F("at") - delta)
    Payment.objects.filter(order=order).update(created_at=F("created_at") - delta)
    Delivery.objects.filter(order=order).update(created_at=F("created_at") - delta)
    LedgerTransaction.objects.filter(order=order).update(created_at=F("created_at") - delta)
