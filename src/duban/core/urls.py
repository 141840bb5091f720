from django.urls import path

from duban.core import views, views_audit

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("audit/", views_audit.audit_list, name="audit_list"),
    path("audit/<int:seq>/", views_audit.audit_detail, name="audit_detail"),
]
