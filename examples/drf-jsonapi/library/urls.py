"""URLs under ``/api``: collections, resources, related resources and relationship endpoints."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from library import views

router = DefaultRouter(trailing_slash=False)
router.register("people", views.PersonViewSet, basename="person")
router.register("computers", views.ComputerViewSet, basename="computer")
router.register("articles", views.ArticleViewSet, basename="article")

urlpatterns = []
for collection, basename, viewset, relationships in (
    ("people", "person", views.PersonViewSet, views.PersonRelationshipView),
    ("computers", "computer", views.ComputerViewSet, views.ComputerRelationshipView),
    ("articles", "article", views.ArticleViewSet, views.ArticleRelationshipView),
):
    urlpatterns += [
        re_path(
            rf"^api/{collection}/(?P<pk>[^/.]+)/relationships/(?P<related_field>[-\w]+)$",
            relationships.as_view(),
            name=f"{basename}-relationships",
        ),
        re_path(
            rf"^api/{collection}/(?P<pk>[^/.]+)/(?P<related_field>[-\w]+)$",
            viewset.as_view({"get": "retrieve_related"}),
            name=f"{basename}-related",
        ),
    ]
urlpatterns.append(path("api/", include(router.urls)))
