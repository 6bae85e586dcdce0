"""The partner API for accounts, listings, profiles, blocks and availability. Views are thin:
validate, call a service, render."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, RETRY_AFTER, problems
from core.api.views import ApiView
from core.exceptions import NotFound, ValidationFailed
from marketplace import services
from marketplace.search import ListingQuery, listing_search
from marketplace.selectors import (
    availability_of,
    block_get_for,
    block_list_for,
    listing_get,
    listing_list,
    user_get,
)
from marketplace.services import listing_create, user_create

from .auth import api_token_issue
from .serializers import (
    AccountCreateInputSerializer,
    AccountOutputSerializer,
    AvailabilityInputSerializer,
    AvailabilityOutputSerializer,
    BlockCreateInputSerializer,
    BlockOutputSerializer,
    EmailVerificationOutputSerializer,
    ListingCreateInputSerializer,
    ListingFilterSerializer,
    ListingOutputSerializer,
    MeUpdateInputSerializer,
    TokenCreateInputSerializer,
    TokenOutputSerializer,
    availability_data,
)

# --- Accounts -----------------------------------------------------------------------------


class AccountCreateApi(ApiView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="accounts_create",
        tags=["accounts"],
        summary="Sign up",
        request=AccountCreateInputSerializer,
        responses={201: AccountOutputSerializer, **problems(400, 409, 422, 429)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = AccountCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data, language=request.LANGUAGE_CODE)  # the one they signed up in
        return Response(AccountOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenCreateApi(ApiView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["accounts"],
        summary="Get an API token",
        description="Exchange a username and password for the account's API token. After 5 failed logins for "
        "one username from one address within 15 minutes (on this endpoint, the web or the admin login), that "
        "username is locked from that address: 429 `too_many_login_failures` with `Retry-After` (seconds) and "
        "`locked_until`, even for the right password, until the lock expires. A successful login forgets the "
        "earlier failures.",
        request=TokenCreateInputSerializer,
        responses={
            200: TokenOutputSerializer,
            **problems(400, 409, 422),
            **problems(
                429,
                description="Too many failed logins for this username from this address "
                "(`too_many_login_failures`, with `locked_until`), or throttled. Retry after `Retry-After` seconds.",
            ),
        },
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
    )
    def post(self, request):
        serializer = TokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = api_token_issue(request=request, **serializer.validated_data)
        return Response(TokenOutputSerializer({"token": token.key}).data)


class MeApi(ApiView):
    @extend_schema(
        operation_id="me_retrieve",
        tags=["accounts"],
        summary="The caller's account",
        responses={200: AccountOutputSerializer, **problems(401)},
    )
    def get(self, request):
        return Response(AccountOutputSerializer(request.user).data)

    @extend_schema(
        operation_id="me_partial_update",
        tags=["accounts"],
        summary="Change the caller's account: its language, time zone or e-mail address",
        description="A new `email` is stored unverified and a verification link is e-mailed to it; until the "
        "link is followed, notifications are not e-mailed. An address another account uses (in any case) is 400 "
        "with `errors.email`; changing the address again within two minutes of the last verification e-mail is "
        "429 `verification_email_throttled`.",
        request=MeUpdateInputSerializer,
        responses={200: AccountOutputSerializer, **problems(400, 401, 429)},
        parameters=[RETRY_AFTER],
    )
    def patch(self, request):
        data = MeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        if "email" in data.validated_data:
            user = services.user_email_change(user=user, email=data.validated_data["email"])
        if "language" in data.validated_data:
            user = services.user_language_set(user=user, language=data.validated_data["language"])
        if "time_zone" in data.validated_data:
            user = services.user_time_zone_set(user=user, time_zone=data.validated_data["time_zone"])
        return Response(AccountOutputSerializer(user).data)


class MeEmailVerificationApi(ApiView):
    @extend_schema(
        operation_id="me_email_verification_create",
        tags=["accounts"],
        summary="E-mail a new verification link to the caller's address",
        description="202: a link is on its way to the caller's address (it works for 3 days, and only while "
        "the address stays the same). 409 `email_already_verified` or `email_missing`; at most one verification "
        "e-mail per two minutes, else 429 `verification_email_throttled` with `Retry-After`.",
        request=None,
        responses={202: EmailVerificationOutputSerializer, **problems(401, 409, 422, 429)},
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
    )
    def post(self, request):
        user = services.user_email_verification_resend(user=request.user)
        return Response(EmailVerificationOutputSerializer(user).data, status=status.HTTP_202_ACCEPTED)


# --- Listings -----------------------------------------------------------------------------


class ListingListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="listings_list",
        tags=["listings"],
        summary="Browse listings",
        description="Active listings, ranked by default by their owner's record (rating, completion and "
        "level: see the README) or as `ordering` says; shifts that already started are left out. `q` finds "
        "words in the title, description or location (full-text on PostgreSQL, best matches first); "
        "`min_price`, `max_price`, `location`, `starts_after`, `starts_before` and `min_rating` narrow the "
        "list. `mine=true` lists the caller's own listings, inactive and past ones included, newest first.",
        parameters=[ListingFilterSerializer, *PAGE_PARAMETERS],
        responses={200: ListingOutputSerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        filters = ListingFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        kind = data.get("kind")
        if data.pop("mine"):
            listings = listing_list(kind=kind, owner=request.user, include_inactive=True)
        else:
            listings = listing_search(ListingQuery(**data))
        return paginated_response(
            queryset=listings, serializer_class=ListingOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="listings_create",
        tags=["listings"],
        summary="Publish a listing",
        description="A `service` is offered by the caller as provider (`delivery_days`, `revisions`); "
        "a `shift` is posted by the caller as client (`starts_at`, `ends_at`, `location`). "
        '`price` is a decimal string such as `"120.00"`; a JSON number is read exactly.',
        request=ListingCreateInputSerializer,
        responses={201: ListingOutputSerializer, **problems(400, 401, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = ListingCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = listing_create(owner=request.user, **serializer.validated_data)
        return Response(ListingOutputSerializer(listing).data, status=status.HTTP_201_CREATED)


class ListingDetailApi(ApiView):
    @extend_schema(
        operation_id="listings_retrieve",
        tags=["listings"],
        summary="One listing",
        responses={200: ListingOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        listing = listing_get(pk=id)
        if listing is None:
            raise NotFound(_("No such listing."))
        return Response(ListingOutputSerializer(listing).data)


# --- People -------------------------------------------------------------------------------


# --- Blocks -------------------------------------------------------------------------------


class BlockListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="blocks_list",
        tags=["blocks"],
        summary="The users the caller has blocked",
        description="Blocks in force, newest first.",
        parameters=PAGE_PARAMETERS,
        responses={200: BlockOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return paginated_response(
            queryset=block_list_for(user=request.user),
            serializer_class=BlockOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="blocks_create",
        tags=["blocks"],
        summary="Block a user",
        description="Neither can then order from, book with or message the other. 409 `open_order` while an "
        "order between the two is open (`orders` lists them); 409 `already_blocked`.",
        request=BlockCreateInputSerializer,
        responses={201: BlockOutputSerializer, **problems(400, 401, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = BlockCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        blocked = user_get(pk=data["user"])
        if blocked is None:
            message = _("No such user.")
            raise ValidationFailed(message, code="unknown_user", errors={"user": [message]})
        block = services.block_create(blocker=request.user, blocked=blocked, reason=data["reason"], note=data["note"])
        return Response(BlockOutputSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDetailApi(ApiView):
    @extend_schema(
        operation_id="blocks_retrieve",
        tags=["blocks"],
        summary="One of the caller's blocks",
        responses={200: BlockOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        block = block_get_for(pk=id, user=request.user)
        if not block.is_active:
            raise NotFound(_("No such block."))
        return Response(BlockOutputSerializer(block).data)

    @extend_schema(
        operation_id="blocks_destroy",
        tags=["blocks"],
        summary="Unblock",
        description="The two can deal with each other again. Staff still see the block in its history.",
        responses={204: None, **problems(401, 404)},
    )
    def delete(self, request, id: int):
        block = block_get_for(pk=id, user=request.user)
        services.block_lift(block=block, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Availability -------------------------------------------------------------------------


class MeAvailabilityApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="me_availability_retrieve",
        tags=["availability"],
        summary="The caller's availability",
        responses={200: AvailabilityOutputSerializer, **problems(401)},
    )
    def get(self, request):
        return Response(AvailabilityOutputSerializer(availability_data(availability_of(user=request.user))).data)

    @extend_schema(
        operation_id="me_availability_update",
        tags=["availability"],
        summary="Announce time away, or be available again",
        description="`announcement: null` makes the caller available now. An announcement without `starts_at` "
        "starts now; without `ends_at` it lasts until switched back; with `ends_at` the caller is available "
        "again at that time by itself. While away their listings are hidden from browsing and new orders "
        "are refused with 409 `provider_unavailable`.",
        request=AvailabilityInputSerializer,
        responses={200: AvailabilityOutputSerializer, **problems(400, 401)},
    )
    def put(self, request):
        serializer = AvailabilityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        announcement = serializer.validated_data["announcement"]
        if announcement is None:
            services.availability_clear(user=request.user)
        else:
            services.availability_set(
                user=request.user,
                away_from=announcement["starts_at"],
                away_until=announcement["ends_at"],
                message=announcement["message"],
            )
        return self.get(request)
