from django.urls import path

from duban.checks import views

app_name = "checks"
urlpatterns = [
    path("", views.check_list, name="list"),
    path("new/", views.check_create, name="create"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("<int:pk>/", views.check_detail, name="detail"),
    path("<int:pk>/publish/", views.check_publish, name="publish"),
    path("<int:pk>/findings/new/", views.finding_create, name="finding_create"),
    path("findings/<int:pk>/task/", views.finding_task, name="finding_task"),
    path("findings/<int:pk>/propose/", views.finding_propose, name="finding_propose"),
    path("files/<int:pk>/", views.finding_file, name="file"),
]
