"""Password policy (IA-02). MLPS requires complexity; the defaults follow assessor practice and
are configurable in settings (DUBAN_PASSWORD_*). See docs/security.md for the ASVS deviation."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LengthValidator:
    def validate(self, password, user=None):
        if len(password) < settings.DUBAN_PASSWORD_MIN_LENGTH:
            raise ValidationError(_("密码至少需要 %(n)d 个字符。") % {"n": settings.DUBAN_PASSWORD_MIN_LENGTH},
                                  code="password_too_short")
        if len(password) > settings.DUBAN_PASSWORD_MAX_LENGTH:
            raise ValidationError(_("密码不能超过 %(n)d 个字符。") % {"n": settings.DUBAN_PASSWORD_MAX_LENGTH},
                                  code="password_too_long")

    def get_help_text(self):
        return _("至少 %(n)d 个字符。") % {"n": settings.DUBAN_PASSWORD_MIN_LENGTH}


CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))


class CharacterClassValidator:
    def validate(self, password, user=None):
        classes = sum(1 for pattern in CLASSES if pattern.search(password))
        # A long passphrase (ASVS 6.2.9) is accepted with fewer classes.
        if classes < settings.DUBAN_PASSWORD_MIN_CLASSES and len(password) < 20:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": settings.DUBAN_PASSWORD_MIN_CLASSES},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": settings.DUBAN_PASSWORD_MIN_CLASSES}


class ContextWordsValidator:
    """Rejects passwords built on the username, the person's name, the unit's name, short name
    or code, or the deployment's own words (city name, system name) — ASVS 6.2.11."""

    def _words(self, user):
        words = {w.lower() for w in settings.DUBAN_CONTEXT_WORDS}
        if user is not None:
            for value in (user.username, user.first_name, user.last_name, user.get_full_name()):
                if value:
                    words.add(value.lower())
            person = getattr(user, "person", None)
            if person is not None and person.name:
                words.add(person.name.lower())
            unit = getattr(user, "unit", None)
            if unit is not None:
                for value in (unit.name, unit.short_name, unit.code):
                    if value:
                        words.add(value.lower())
                if unit.pk is not None:
                    # Aliases are the abbreviations people actually use (芭蕉乡, 市委办).
                    words.update(a.lower() for a in unit.aliases.values_list("name", flat=True))
        return {w for w in words if len(w) >= 3 or (w and not w.isascii() and len(w) >= 2)}

    def validate(self, password, user=None):
        lowered = password.lower()
        for word in self._words(user):
            if word in lowered:
                raise ValidationError(_("密码不能包含用户名、姓名、单位名称或系统名称等信息。"),
                                      code="password_context_word")

    def get_help_text(self):
        return _("不能包含用户名、姓名、单位名称或系统名称。")
