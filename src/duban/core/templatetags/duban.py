from django import forms, template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for sort and page links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def can(user, perm):
    from duban.core import permissions

    return permissions.can(user, perm)


@register.filter
def bs(bound_field):
    """Render a form field's widget with Bootstrap classes, marked invalid when it has errors."""
    widget = bound_field.field.widget
    kind = widget.__class__.__name__
    if kind in ("Select", "SelectMultiple", "NullBooleanSelect") or isinstance(widget, forms.Select):
        css = "form-select"
    elif kind in ("CheckboxInput",):
        css = "form-check-input"
    elif kind in ("CheckboxSelectMultiple", "RadioSelect"):
        css = ""
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": css.strip()} if css.strip() else {}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)
