"""Web pages of guanxi.sales."""

from django.urls import path

from . import views

app_name = "sales"

urlpatterns: list = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.OrderCreateView.as_view(), name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.OrderEditView.as_view(), name="order_edit"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.ProductCreateView.as_view(), name="product_create"),
    path("products/<int:pk>/edit/", views.ProductEditView.as_view(), name="product_edit"),
    path("exchange-rates/", views.exchange_rate_list, name="exchange_rate_list"),
    path(
        "exchange-rates/new/", views.ExchangeRateCreateView.as_view(), name="exchange_rate_create"
    ),
    path(
        "exchange-rates/<int:pk>/edit/",
        views.ExchangeRateEditView.as_view(),
        name="exchange_rate_edit",
    ),
    path(
        "exchange-rates/<int:pk>/delete/",
        views.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
]
