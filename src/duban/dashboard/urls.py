from django.urls import path

from duban.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("screen/", views.screen, name="screen"),
    path("data/<slug:name>.json", views.data, name="data"),
    path("commitments/", views.commitments, name="commitments"),
]
