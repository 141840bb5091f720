"""Operations: backups with verified restore (BR-01..03) and the audit archive job (AU-06).

Nothing here has models; it works on the whole database through Django's connection and the
PostgreSQL client tools, so it sits at the top of the layer order beside api, demo and bench."""
