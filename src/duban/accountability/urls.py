from django.urls import path

from duban.accountability import views

app_name = "accountability"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:pk>/open/", views.proposal_open, name="proposal_open"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/file/", views.case_file, name="file"),
    path("<int:pk>/advance/<str:stage>/", views.case_advance, name="advance"),
    path("<int:pk>/decide/", views.case_decide, name="decide"),
    path("<int:pk>/clear/", views.case_clear, name="clear"),
    path("<int:pk>/grants/", views.grant_add, name="grant_add"),
    path("grants/<int:pk>/remove/", views.grant_remove, name="grant_remove"),
    path("<int:pk>/tolerance/", views.tolerance_record, name="tolerance_record"),
    path("tolerance/<int:pk>/review/", views.tolerance_review, name="tolerance_review"),
    path("<int:pk>/appeal-review/", views.appeal_review, name="appeal_review"),
    path("<int:pk>/decision.docx", views.decision_docx, name="decision_docx"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.mine_detail, name="mine_detail"),
    path("mine/<int:pk>/appeal/", views.mine_appeal, name="mine_appeal"),
    path("mine/<int:pk>/tolerance/", views.mine_tolerance, name="mine_tolerance"),
    path("duty/", views.duty_links, name="duty"),
    path("stats/", views.statistics, name="stats"),
    path("stats.xlsx", views.statistics_xlsx, name="stats_xlsx"),
    path("views/", views.view_log, name="view_log"),
    path("labels/", views.labels, name="labels"),
    path("<int:pk>/label/", views.relabel, name="relabel"),
]
