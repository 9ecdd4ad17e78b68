"""Portal links in the API: a customer's signed, expiring, revocable link to their own corner of
the customer portal (feedback, their tickets, surveys, consent). Adapters over
guanxi.portal's selectors and services; the same rule as the 360° page's service card: whoever
may open tickets and sees the customer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from guanxi.customers.selectors import customer_get
from guanxi.portal import selectors, services
from guanxi.portal.models import PortalLink
from guanxi.portal.policies import may_issue

from .serializers import IssuedPortalLinkSerializer, IssuePortalLinkSerializer, PortalLinkSerializer


class CustomerPortalLinksView(GenericAPIView):
    """A customer's portal links, newest first (GET), and a new one (POST, answering its URL and
    expiry). 404 for a customer the user does not see, 403 for a user who may not open tickets."""

    serializer_class = PortalLinkSerializer
    filter_backends = []
    ordering = ["-created_at", "-id"]

    def customer(self):
        customer = customer_get(user=self.request.user, pk=self.kwargs["pk"])
        if not may_issue(self.request.user, customer):
            raise PermissionDenied()
        return customer

    def get_queryset(self):
        return selectors.link_list(user=self.request.user, customer=self.customer())

    @extend_schema(responses=PortalLinkSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=IssuePortalLinkSerializer, responses={201: IssuedPortalLinkSerializer})
    def post(self, request, pk: int):
        customer = self.customer()
        IssuePortalLinkSerializer(data=request.data).is_valid(raise_exception=True)
        link = services.issue_link(actor=request.user, customer=customer)
        data = IssuedPortalLinkSerializer(link, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class RevokePortalLinkView(GenericAPIView):
    """Revoke a customer's portal link: it no longer opens (revoking it twice does nothing
    more)."""

    serializer_class = PortalLinkSerializer
    filter_backends = []

    @extend_schema(request=None, responses=PortalLinkSerializer)
    def post(self, request, pk: int, link_id: int):
        try:
            link = selectors.link_get(user=request.user, pk=link_id)
        except PortalLink.DoesNotExist:
            raise NotFound() from None
        if link.customer_id != pk:
            raise NotFound()
        link = services.revoke_link(actor=request.user, link=link)
        return Response(self.get_serializer(link).data)
