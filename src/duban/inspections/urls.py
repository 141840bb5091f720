from django.urls import path

from duban.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("terms/new/", views.term_create, name="term_create"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/team/", views.team_set, name="team_set"),
    path("<int:pk>/findings/new/", views.finding_create, name="finding_create"),
    path("<int:pk>/feedback/", views.round_feedback, name="feedback"),
    path("<int:pk>/ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("<int:pk>/feedback/<int:unit_pk>.docx", views.feedback_doc, name="feedback_doc"),
    path("findings/<int:pk>/rectify/", views.rectification_create, name="rectification_create"),
    path("mine/", views.my_findings, name="my_findings"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/plan/", views.plan_submit, name="plan_submit"),
    path("rectifications/<int:pk>/evidence/", views.evidence_submit, name="evidence_submit"),
    path("rectifications/<int:pk>/close/", views.rectification_close, name="close"),
    path("rectifications/<int:pk>/followup/", views.followup_record, name="followup"),
    path("coverage/", views.coverage, name="coverage"),
    path("planner/", views.planner, name="planner"),
    path("planner/create/", views.plan_create, name="plan_create"),
    path("pool/", views.pool, name="pool"),
    path("pool/add/", views.pool_add, name="pool_add"),
    path("pool/history/", views.history_add, name="history_add"),
    path("pool/relative/", views.relative_add, name="relative_add"),
]
