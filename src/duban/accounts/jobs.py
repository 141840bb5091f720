"""Account housekeeping run by `duban worker` (see duban.core.jobs)."""

from datetime import timedelta

from duban.core.jobs import periodic


@periodic("disable_stale_accounts", timedelta(hours=24))
def disable_stale_accounts() -> None:
    from duban.accounts import services
    from duban.core import context

    with context.bind(request_id=context.new_request_id()):
        services.accounts_disable_stale()


@periodic("purge_expired_api_tokens", timedelta(hours=1))
def purge_expired_api_tokens() -> None:
    from duban.accounts import services
    from duban.core import context

    with context.bind(request_id=context.new_request_id()):
        services.api_tokens_purge_expired()
