"""Web pages of the knowledge base."""

from django.urls import path

from . import views

app_name = "kb"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.ArticleCreate.as_view(), name="create"),
    path("<int:pk>/", views.article_detail, name="detail"),
    path("<int:pk>/edit/", views.ArticleEdit.as_view(), name="edit"),
    path("<int:pk>/delete/", views.article_delete, name="delete"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/reviewed/", views.reviewed, name="reviewed"),
    path("<int:pk>/revisions/", views.revision_list, name="revisions"),
    path("<int:pk>/revisions/compare/", views.revision_diff, name="diff"),
    path("<int:pk>/revisions/<int:number>/restore/", views.restore, name="restore"),
    path("categories/", views.category_list, name="categories"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
]
