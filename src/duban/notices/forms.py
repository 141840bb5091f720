from django import forms
from django.utils.translation import gettext_lazy as _

from duban.notices.models import Channel, NoticeKind


class InboxFilter(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部类型")), *NoticeKind.choices])
    show = forms.ChoiceField(label=_("显示"), required=False, choices=[("all", _("全部")), ("unread", _("未读"))])


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("同时发送电子邮件"), required=False)
    sms = forms.BooleanField(label=_("同时发送短信"), required=False)


class UnitChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=[(Channel.DINGTALK, Channel.DINGTALK.label),
                                                        (Channel.WECOM, Channel.WECOM.label)])
    webhook_url = forms.CharField(label=_("Webhook 地址"), max_length=500,
                                  help_text=_("群机器人设置中复制的完整地址,必须以 http:// 或 https:// 开头。"))
    secret = forms.CharField(label=_("加签密钥(钉钉)"), required=False, max_length=200,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("留空则保留已保存的密钥;已保存的密钥不会显示。"))
    clear_secret = forms.BooleanField(label=_("删除已保存的加签密钥"), required=False)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)


class UnitLeaderForm(forms.Form):
    principal_leader = forms.ModelChoiceField(label=_("主要负责人"), queryset=None, required=False,
                                              help_text=_("督办单、升级通知抄送此人。"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principal_leader"].queryset = people
