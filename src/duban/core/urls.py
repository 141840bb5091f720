from django.urls import path

from duban.core import views, views_audit, views_pii

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("audit/", views_audit.audit_list, name="audit_list"),
    path("audit/<int:seq>/", views_audit.audit_detail, name="audit_detail"),
    path("pii/<str:model>/<int:pk>/<str:field>/", views_pii.pii_reveal, name="pii_reveal"),
]
