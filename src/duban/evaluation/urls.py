from django.urls import path

from duban.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/new/", views.scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/version/", views.scheme_version, name="scheme_version"),
    path("schemes/<int:pk>/compute/", views.compute, name="compute"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/finalize/", views.finalize, name="finalize"),
    path("<int:pk>/units/<int:unit_pk>/", views.sheet, name="sheet"),
    path("<int:pk>/units/<int:unit_pk>/items/<int:item_pk>/", views.trace, name="trace"),
    path("<int:pk>/objections/new/", views.objection_create, name="objection_create"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("<int:pk>/rate/<int:item_pk>/", views.rate, name="rate"),
    path("<int:pk>/bonus/new/", views.bonus_create, name="bonus_create"),
    path("bonus/<int:pk>/decide/", views.bonus_decide, name="bonus_decide"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("<int:pk>/report.docx", views.report_docx, name="report_docx"),
    path("<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<int:pk>/bulletin.docx", views.bulletin, name="bulletin"),
    path("<int:pk>/ranking.png", views.chart_png, name="chart_png"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/do/<slug:step>/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/vote/", views.ballot, name="ballot"),
]
