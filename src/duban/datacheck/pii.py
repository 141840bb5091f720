"""Personal data in 大数据监督 (DP-05; docs/data-inventory.md). Imported rows (ID numbers, phones,
bank accounts, names) live encrypted in the dataset files; what reaches the database is a hit's
source rows and a lead's subject key. Both are masked by their column types
(``datacheck.masking``) in every list, export and API answer; the full values only on the lead's
page for the assigned officer (one ``pii_viewed`` row besides ``datacheck_lead_viewed``)."""

from duban.core import pii

pii.register("datacheck.hit", "rows", kind=pii.RECORD)
pii.register("datacheck.lead", "subject_key", kind=pii.RECORD)
