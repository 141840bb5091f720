from django.urls import path

from duban.petitions import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("new/", views.petition_create, name="create"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/periods/", views.period_add, name="period_add"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/accept/", views.petition_accept, name="accept"),
    path("<int:pk>/close/", views.petition_close, name="close"),
    path("<int:pk>/review/", views.petition_review, name="review"),
]
