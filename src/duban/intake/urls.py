from django.urls import path

from duban.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("drafts/<int:pk>/", views.draft_review, name="draft"),
    path("drafts/<int:pk>/meta/", views.draft_meta, name="draft_meta"),
    path("drafts/<int:pk>/nodes/", views.node_action, name="node_action"),
    path("drafts/<int:pk>/bulk/", views.nodes_bulk, name="nodes_bulk"),
    path("drafts/<int:pk>/nodes/<str:node_id>/", views.node_update, name="node_update"),
    path("drafts/<int:pk>/nodes/<str:node_id>/split/", views.node_split, name="node_split"),
    path("drafts/<int:pk>/nodes/<str:node_id>/move/", views.node_move, name="node_move"),
    path("drafts/<int:pk>/rebase/", views.draft_rebase, name="draft_rebase"),
    path("drafts/<int:pk>/units/", views.unit_resolve, name="unit_resolve"),
    path("drafts/<int:pk>/confirm/", views.draft_confirm, name="draft_confirm"),
    path("drafts/<int:pk>/assign-ready/", views.draft_assign_ready, name="draft_assign_ready"),
    path("drafts/<int:pk>/discard/", views.draft_discard, name="draft_discard"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_create, name="topic_create"),
    path("topics/<int:pk>/", views.topic_update, name="topic_update"),
    path("topics/<int:pk>/delete/", views.topic_delete, name="topic_delete"),
]
