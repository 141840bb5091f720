from django.urls import path

from duban.tasks import views
from duban.tasks.views import evidence as evidence_views
from duban.tasks.views import settings as settings_views

app_name = "tasks"
urlpatterns = [
    path("", views.index, name="index"),
    path("todo/", views.todo, name="todo"),
    path("list/", views.task_list, name="list"),
    path("list/export.xlsx", views.task_export, name="export"),
    path("import/", views.task_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("new/", views.task_create, name="create"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/edit/", views.task_edit, name="edit"),
    path("<int:pk>/decompose/", views.task_decompose, name="decompose"),
    path("<int:pk>/do/<slug:name>/", views.task_transition, name="transition"),
    path("<int:pk>/handover/", views.task_handover, name="handover"),
    path("<int:pk>/report/", views.report_submit, name="report"),
    path("<int:pk>/extension/", views.extension_request, name="extension_request"),
    path("<int:pk>/instruct/", views.instruct, name="instruct"),
    path("<int:pk>/instructions/<int:instruction_pk>/reply/", views.instruction_reply, name="instruction_reply"),
    path("<int:pk>/milestones/<int:milestone_pk>/", views.milestone_toggle, name="milestone_toggle"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/verify/", evidence_views.evidence_verify, name="evidence_verify"),
    path("evidence/<int:pk>/withdraw/", evidence_views.evidence_withdraw, name="evidence_withdraw"),
    path("evidence/<int:pk>/replace/", evidence_views.evidence_replace, name="evidence_replace"),
    path("settings/", settings_views.settings_page, name="settings"),
    path("sources/", views.source_list, name="sources"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
]
