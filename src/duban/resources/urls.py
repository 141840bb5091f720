from django.urls import path

from duban.resources import views

app_name = "resources"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_create, name="create"),
    path("ceilings/", views.ceiling_set, name="ceiling"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/forward/", views.request_forward, name="forward"),
    path("<int:pk>/priority/", views.request_prioritise, name="prioritise"),
    path("<int:pk>/decide/", views.request_decide, name="decide"),
    path("<int:pk>/allocate/", views.allocation_record, name="allocate"),
    path("<int:pk>/task/", views.request_make_task, name="make_task"),
]
