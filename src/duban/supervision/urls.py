from django.urls import path

from duban.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("rules/reset/", views.rule_reset, name="rule_reset"),
    path("task/<int:task_id>/", views.task_panel, name="task_panel"),
    path("task/<int:task_id>/remind/", views.remind, name="remind"),
    path("task/<int:task_id>/order/issue/", views.order_issue, name="order_issue"),
    path("task/<int:task_id>/list/", views.list_add, name="list_add"),
    path("task/<int:task_id>/unlist/", views.list_remove, name="list_remove"),
    path("task/<int:task_id>/order/", views.order_print, name="order_print"),
    path("task/<int:task_id>/order.docx", views.order_docx, name="order_docx"),
    path("task/<int:task_id>/order/reply/", views.order_reply, name="order_reply"),
    path("orders/", views.orders, name="orders"),
    path("listed/", views.listed, name="listed"),
    path("proposals/", views.proposals, name="proposals"),
]
