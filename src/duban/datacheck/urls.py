from django.urls import path

from duban.datacheck import views

app_name = "datacheck"
urlpatterns = [
    path("", views.lead_list, name="leads"),
    path("leads/export.csv", views.lead_export, name="lead_export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/<str:action>/", views.lead_action, name="lead_action"),
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/upload/", views.upload, name="upload"),
    path("datasets/versions/<int:pk>/", views.version_detail, name="version"),
    path("datasets/versions/<int:pk>/report.csv", views.report_download, name="report"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/builder/", views.builder, name="builder"),
    path("rules/sql/", views.raw_rule_create, name="raw_rule"),
    path("rules/<int:pk>/", views.rule_detail, name="rule"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/", views.approval, name="approval"),
]
