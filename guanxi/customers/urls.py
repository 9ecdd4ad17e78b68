"""Web pages of guanxi.customers."""

from django.urls import path

from .views import bin as bin_views

app_name = "customers"

urlpatterns: list = []

# Recycle bin and change history (views/bin.py).
urlpatterns += [
    path("bin/", bin_views.recycle_bin, name="recycle_bin"),
    path("bin/<int:pk>/restore/", bin_views.restore, name="restore"),
    path("<int:pk>/history/", bin_views.history, name="history"),
]

# Custom field definitions, administrators only (views/settings.py).
from .views import settings as settings_views  # noqa: E402

urlpatterns += [
    path("fields/", settings_views.custom_field_list, name="custom_field_list"),
    path("fields/new/", settings_views.CustomFieldCreate.as_view(), name="custom_field_create"),
    path("fields/<int:pk>/", settings_views.CustomFieldEdit.as_view(), name="custom_field_edit"),
]

# The 360° page, its timeline and the forms (views/detail.py, views/edit.py).
from .views import detail as detail_views  # noqa: E402
from .views import edit as edit_views  # noqa: E402

urlpatterns += [
    path("new/", edit_views.CustomerCreate.as_view(), name="create"),
    path("<int:pk>/", detail_views.detail, name="detail"),
    path("<int:pk>/timeline/", detail_views.timeline, name="timeline"),
    path("<int:pk>/edit/", edit_views.CustomerEdit.as_view(), name="edit"),
    path("<int:pk>/delete/", edit_views.customer_delete, name="delete"),
    path("<int:pk>/contacts/new/", edit_views.ContactCreate.as_view(), name="contact_create"),
    path("contacts/<int:pk>/edit/", edit_views.ContactEdit.as_view(), name="contact_edit"),
    path(
        "<int:pk>/interactions/new/",
        edit_views.InteractionCreate.as_view(),
        name="interaction_create",
    ),
    path(
        "interactions/<int:pk>/edit/",
        edit_views.InteractionEdit.as_view(),
        name="interaction_edit",
    ),
    path("<int:pk>/notes/new/", edit_views.NoteCreate.as_view(), name="note_create"),
    path("notes/<int:pk>/edit/", edit_views.NoteEdit.as_view(), name="note_edit"),
    path("notes/<int:pk>/delete/", edit_views.note_delete, name="note_delete"),
]

# The list, its bulk actions and saved views (views/list.py).
from .views import list as list_views  # noqa: E402

urlpatterns += [
    path("", list_views.customer_list, name="list"),
    path("bulk/", list_views.bulk, name="bulk"),
    path("views/save/", list_views.saved_view_save, name="saved_view_save"),
    path("views/<int:pk>/delete/", list_views.saved_view_delete, name="saved_view_delete"),
]
