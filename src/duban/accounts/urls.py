from django.urls import path

from duban.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    # The second factor (IA-10).
    path("2fa/verify/", views.otp_verify_view, name="otp_verify"),
    path("2fa/setup/", views.otp_setup_view, name="otp_setup"),
    path("2fa/", views.otp_manage_view, name="otp_manage"),
    # System administrator: accounts.
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/active/", views.user_set_active_view, name="user_set_active"),
    path("users/<int:pk>/password/", views.user_password_reset_view, name="user_password_reset"),
    # Security administrator: roles and locks.
    path("roles/", views.role_list, name="role_list"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/revoke/", views.role_revoke_view, name="role_revoke"),
    path("roles/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("roles/<int:pk>/otp-reset/", views.otp_reset_view, name="otp_reset"),
    path("roles/<int:pk>/clearance/", views.clearance_view, name="clearance"),
]
