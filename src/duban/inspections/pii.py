"""Personal data in inspections (DP-05; docs/data-inventory.md): relatives of inspectors (回避) and
the persons a finding holds responsible. Both are shown only to the roles that see the record
(巡察办, 纪委; a unit sees its findings after 反馈) and are never exported outside those pages."""

from duban.core import pii

pii.register("inspections.relative", "name", kind=pii.NAME)
pii.register("inspections.finding", "responsible_person", kind=pii.NAME)
