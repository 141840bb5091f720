from django.urls import path

from duban.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("new/", views.indicator_create, name="create"),
    path("import/", views.import_values, name="import"),
    path("behind/", views.flag_behind, name="flag_behind"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("<int:pk>/", views.indicator_detail, name="detail"),
    path("<int:pk>/edit/", views.indicator_edit, name="edit"),
    path("<int:pk>/target/", views.target_set, name="target"),
    path("<int:pk>/actual/", views.actual_save, name="actual"),
]
