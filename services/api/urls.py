"""Routes of the services API, under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("service-types/", views.ServiceTypeListApi.as_view(), name="api-service-type-list"),
    path("providers/", views.ProviderListApi.as_view(), name="api-provider-list"),
    path("deliveries/", views.DeliveryListCreateApi.as_view(), name="api-delivery-list"),
    path(
        "deliveries/<str:delivery_id>/",
        views.DeliveryDetailApi.as_view(),
        name="api-delivery-detail",
    ),
    path(
        "deliveries/<str:delivery_id>/void/",
        views.DeliveryVoidApi.as_view(),
        name="api-delivery-void",
    ),
    path(
        "deliveries/<str:delivery_id>/correct/",
        views.DeliveryCorrectApi.as_view(),
        name="api-delivery-correct",
    ),
    path("distributions/", views.DistributionCreateApi.as_view(), name="api-distribution-create"),
]
