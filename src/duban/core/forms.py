from django.core.exceptions import ValidationError


def apply_validation_error(form, exc: ValidationError, default_field: str | None = None) -> None:
    """Show a service's ValidationError on the form: per field where it names one the form has,
    otherwise as a form-level error (or on ``default_field``)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else default_field
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(default_field, message)
