from django.urls import path

from duban.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.group_list, name="groups"),
    path("groups/<int:pk>/", views.group_meetings, name="group"),
    path("groups/<int:pk>/new/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("<int:pk>/minutes/", views.minutes_edit, name="minutes_edit"),
    path("<int:pk>/minutes.docx", views.minutes_download, name="minutes"),
    path("decisions/<int:pk>/task/", views.decision_task, name="decision_task"),
]
