"""Personal data in notices (DP-05; docs/data-inventory.md): a delivery's target is the recipient's
phone number or e-mail address (or a unit channel reference). It is shown on no page."""

from duban.core import pii

pii.register("notices.delivery", "target", kind=pii.CONTACT)
