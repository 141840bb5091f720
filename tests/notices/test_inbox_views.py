"""The inbox pages as a person uses them: the count in the header of every page, open (marks
read and goes to the subject), mark read, mark all read, filter by kind, the follow-the-acting-
holder rule, the settings pages and the operator's dead letters."""

import re
from datetime import timedelta

from django.utils import timezone

from duban.notices.models import Delivery, DeliveryState, NoticeKind, NoticeRead, UnitChannel
from duban.notices.services import notice_send, notices_send_bulk
from duban.orgs.models import Absence


def bell(html: str) -> str:
    m = re.search(r'id="notice-unread">([^<]*)<', html)
    return m.group(1).strip() if m else ""


def send(cast, n=1, kind=NoticeKind.REMINDER, **kw):
    items = [{"kind": kind, "title": f"催办{i}", "url": "/tasks/", "to_post": cast.post_bajiao, **kw}
             for i in range(n)]
    return notices_send_bulk(actor=cast.supervisor, items=items)


def test_the_unread_count_shows_in_the_header_of_every_page(cast, login):
    send(cast, 3)
    client = login(cast.bajiao_liaison)
    for url in ("/", "/notices/", "/orgs/units/", "/notices/settings/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert bell(response.content.decode()) == "3", url


def test_more_than_99_unread_show_as_99_plus(cast, login):
    send(cast, 101)
    html = login(cast.bajiao_liaison).get("/notices/").content.decode()
    assert bell(html) == "99+"


def test_opening_a_notice_marks_it_read_and_goes_to_what_it_is_about(cast, login):
    [notice] = notice_send(actor=cast.supervisor, kind=NoticeKind.RETURNED, title="办结申请被退回",
                           body="退回理由:佐证材料不完整", url="/tasks/?q=x", to_post=cast.post_bajiao)
    client = login(cast.bajiao_liaison)
    page = client.get("/notices/").content.decode()
    assert "办结申请被退回" in page and "退回理由:佐证材料不完整" in page
    response = client.post("/notices/open/", {"id": notice.pk})
    assert response.status_code == 302 and response["Location"] == "/tasks/?q=x"
    assert bell(client.get("/notices/").content.decode()) == ""


def test_an_external_url_in_a_notice_is_not_followed(cast, login):
    [notice] = notice_send(actor=cast.supervisor, kind=NoticeKind.SYSTEM, title="x", url="https://evil.example/",
                           to_post=cast.post_bajiao)
    response = login(cast.bajiao_liaison).post("/notices/open/", {"id": notice.pk})
    assert response["Location"] == "/notices/"


def test_mark_read_and_mark_all_read(cast, login):
    notices = send(cast, 4)
    client = login(cast.bajiao_liaison)
    client.post("/notices/read/", {"id": notices[0].pk, "next": "/notices/?show=unread"})
    assert bell(client.get("/notices/").content.decode()) == "3"
    unread_page = client.get("/notices/?show=unread").content.decode()
    assert "催办0" not in unread_page and "催办1" in unread_page
    response = client.post("/notices/read-all/", {"next": "/notices/"}, follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert bell(response.content.decode()) == ""
    assert NoticeRead.objects.filter(user=cast.bajiao_liaison).count() == 4


def test_read_state_is_per_user(cast, login):
    today = timezone.localdate()
    [notice] = send(cast)
    login(cast.bajiao_liaison).post("/notices/read/", {"id": notice.pk})
    Absence.objects.create(person=cast.p_bajiao_a, kind="leave", start=today, end=today + timedelta(days=1))
    html = login(cast.bajiao_b).get("/notices/").content.decode()  # B now acts and has not read it
    assert bell(html) == "1" and "催办0" in html


def test_the_inbox_follows_the_acting_holder_when_an_absence_starts(cast, login):
    today = timezone.localdate()
    send(cast, 2)
    assert bell(login(cast.bajiao_b).get("/notices/").content.decode()) == ""
    Absence.objects.create(person=cast.p_bajiao_a, kind="leave", start=today, end=today + timedelta(days=1))
    assert bell(login(cast.bajiao_b).get("/notices/").content.decode()) == "2"
    html = login(cast.bajiao_liaison).get("/notices/").content.decode()
    assert bell(html) == "" and "还没有通知" in html


def test_the_kind_filter_shows_only_that_kind(cast, login):
    send(cast, 2, kind=NoticeKind.REMINDER)
    notice_send(actor=cast.supervisor, kind=NoticeKind.INSTRUCTION, title="书记批示:请于5个工作日内回复",
                to_post=cast.post_bajiao)
    client = login(cast.bajiao_liaison)
    html = client.get("/notices/?kind=instruction").content.decode()
    assert "书记批示" in html and "催办0" not in html
    assert "催办0" in client.get("/notices/?kind=reminder").content.decode()
    assert client.get("/notices/?kind=bogus").status_code == 200  # a bad filter is ignored


def test_someone_elses_notice_cannot_be_marked_or_opened(cast, login):
    [notice] = send(cast)
    client = login(cast.baiguo_liaison)
    response = client.post("/notices/open/", {"id": notice.pk}, follow=True)
    assert "通知不存在或不在您的收件箱中" in response.content.decode()
    client.post("/notices/read/", {"id": notice.pk})
    client.post("/notices/read/", {"id": "abc"})
    assert not NoticeRead.objects.exists()


def test_the_inbox_is_paged(cast, login):
    send(cast, 25)
    client = login(cast.bajiao_liaison)
    first = client.get("/notices/").content.decode()
    assert "第 1 / 2 页" in first and first.count('name="id"') >= 20
    assert "催办0" in client.get("/notices/?page=2").content.decode()


def test_preferences_are_saved_and_refused_without_an_address(cast, login):
    client = login(cast.bajiao_liaison)
    response = client.post("/notices/settings/", {"email": "on"})
    assert "没有登记电子邮箱" in response.content.decode()
    type(cast.bajiao_liaison).objects.filter(pk=cast.bajiao_liaison.pk).update(email="a@example.cn")
    response = client.post("/notices/settings/", {"email": "on"}, follow=True)
    assert "通知设置已保存" in response.content.decode()


def test_a_unit_admin_sets_a_robot_and_the_secret_is_never_shown_back(cast, login):
    client = login(cast.bajiao_admin)
    response = client.post(f"/notices/units/?unit={cast.bajiao.pk}", {
        "action": "channel", "channel": "dingtalk", "webhook_url": "http://127.0.0.1:9/robot/send?access_token=t",
        "secret": "SECtopsecret", "enabled": "on"}, follow=True)
    html = response.content.decode()
    assert "群机器人已保存" in html and "已设置加签" in html
    assert "SECtopsecret" not in html
    assert UnitChannel.objects.get().secret == "SECtopsecret"
    bad = client.post(f"/notices/units/?unit={cast.bajiao.pk}", {
        "action": "channel", "channel": "wecom", "webhook_url": "ftp://x/y", "enabled": "on"})
    assert "必须以 http:// 或 https:// 开头" in bad.content.decode()
    assert UnitChannel.objects.count() == 1


def test_a_unit_admin_cannot_configure_another_townships_robot(cast, login):
    client = login(cast.bajiao_admin)
    html = client.get(f"/notices/units/?unit={cast.baiguo.pk}").content.decode()
    assert "白果乡" not in html  # out of scope: falls back to their own unit
    client.post(f"/notices/units/?unit={cast.baiguo.pk}", {
        "action": "channel", "channel": "wecom", "webhook_url": "http://127.0.0.1:9/x", "enabled": "on"})
    assert not UnitChannel.objects.filter(unit=cast.baiguo).exists()


def test_the_operator_sees_dead_letters_and_puts_them_back_in_the_queue(cast, login):
    UnitChannel.objects.create(unit=cast.bajiao, channel="wecom", webhook_url="http://127.0.0.1:9/x")
    [_notice] = send(cast)
    Delivery.objects.update(state=DeliveryState.DEAD, attempts=6, last_error="HTTP 500")
    client = login(cast.supervisor)
    html = client.get("/notices/outbox/").content.decode()
    assert "HTTP 500" in html and "已尝试 6 次" in html
    response = client.post("/notices/outbox/retry/", {"id": [Delivery.objects.get().pk]}, follow=True)
    assert "已重新放入发送队列:1 条" in response.content.decode()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and row.attempts == 0
    assert login(cast.bajiao_liaison).get("/notices/outbox/").status_code == 403


def test_the_supervisor_sees_flagged_problems(cast, login):
    notice_send(actor=cast.supervisor, kind=NoticeKind.NOTICE_ISSUED, title="督办单", to_unit=cast.baiguo)
    client = login(cast.supervisor)
    html = client.get("/notices/problems/").content.decode()
    assert "白果乡未设置督办联络岗位" in html
    assert bell(client.get("/").content.decode()) == "1"  # and in their inbox
