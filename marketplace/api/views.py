"""The partner API for accounts and listings. Views are thin: validate, call a service, render."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ApiView
from core.exceptions import NotFound
from marketplace.selectors import listing_get, listing_list
from marketplace.services import listing_create, user_create

from .auth import api_token_issue
from .serializers import (
    AccountCreateInputSerializer,
    AccountOutputSerializer,
    ListingCreateInputSerializer,
    ListingFilterSerializer,
    ListingOutputSerializer,
    TokenCreateInputSerializer,
    TokenOutputSerializer,
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
        user = user_create(**serializer.validated_data)
        return Response(AccountOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenCreateApi(ApiView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["accounts"],
        summary="Get an API token",
        description="Exchange a username and password for the account's API token.",
        request=TokenCreateInputSerializer,
        responses={200: TokenOutputSerializer, **problems(400, 409, 422, 429)},
        parameters=[IDEMPOTENCY_KEY],
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


# --- Listings -----------------------------------------------------------------------------


class ListingListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="listings_list",
        tags=["listings"],
        summary="Browse listings",
        description="Active listings, newest first; shifts that already started are left out. "
        "`mine=true` lists the caller's own listings, inactive and past ones included.",
        parameters=[ListingFilterSerializer, *PAGE_PARAMETERS],
        responses={200: ListingOutputSerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        filters = ListingFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        kind = filters.validated_data.get("kind")
        if filters.validated_data["mine"]:
            listings = listing_list(kind=kind, owner=request.user, include_inactive=True)
        else:
            listings = listing_list(kind=kind)
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
