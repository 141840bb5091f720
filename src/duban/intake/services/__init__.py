"""Intake writes: store a draft, edit it, confirm it into sources and tasks, keep the topic map.

Rules as everywhere (docs/architecture.md): keyword-only, one transaction each, Chinese
ValidationErrors with nothing changed on refusal, one ledger entry per change as the last
statement. Draft edits are version-checked (``save_versioned``) so two supervisors editing the
same draft cannot overwrite each other's changes.

The stored draft is the engine's Draft JSON (duban.intake.engine.model) with a few keys added
to every node for what the 督查室 decides: ``id`` (a stable "n<k>" that survives merges and
splits; the engine's own id is kept as ``engine_id``), ``include``, ``lead_unit``,
``co_units`` (unit ids), ``due_date`` (ISO) and ``target_number/measure/object``. Tasks are
created only by duban.tasks.services, in ``draft_confirm``.

One module per noun, as the old single file's sections were: ``_base`` (limits, refusals, the
version-checked edit), ``topics`` (the topic map), ``upload`` (a file becomes a draft), ``edits``
(the outline and metadata), ``confirm`` (sources and tasks). The pure readers of the draft JSON
(``walk``, ``plan``, ``creates_task``, ...) live in duban.intake.draft and are re-exported here;
callers import everything from ``duban.intake.services``.
"""

from duban.intake.draft import cleaned_text, creates_task, norm_title, plan, title_from_text, walk
from duban.intake.services._base import (
                                         ALLOWED_EXTENSIONS,
                                         DOCX_MAX_ENTRIES,
                                         DOCX_MAX_UNCOMPRESSED,
                                         ISSUER_MAX,
                                         MEASURE_MAX,
                                         OBJECT_MAX,
                                         SOURCE_KINDS,
                                         SOURCE_TITLE_MAX,
                                         TITLE_MAX,
                                         DuplicateDraftError,
                                         content_hash,
)
from duban.intake.services.bulk import BULK_ACTIONS, draft_nodes_bulk_update
from duban.intake.services.confirm import draft_confirm
from duban.intake.services.defaults import draft_rebase_years, fill_defaults, rebase_offer
from duban.intake.services.edits import (
                                         MOVES,
                                         draft_discard,
                                         draft_meta_update,
                                         draft_node_drop,
                                         draft_node_merge,
                                         draft_node_move,
                                         draft_node_set_include,
                                         draft_node_split,
                                         draft_node_update,
)
from duban.intake.services.handover import Handover, draft_assign_ready
from duban.intake.services.outside import draft_unit_resolve, outside_units
from duban.intake.services.topics import (
                                         topic_map_seed,
                                         topic_mapping_create,
                                         topic_mapping_delete,
                                         topic_mapping_update,
)
from duban.intake.services.upload import draft_create

__all__ = [
                                         "ALLOWED_EXTENSIONS",
                                         "BULK_ACTIONS",
                                         "DOCX_MAX_ENTRIES",
                                         "DOCX_MAX_UNCOMPRESSED",
                                         "ISSUER_MAX",
                                         "MEASURE_MAX",
                                         "MOVES",
                                         "OBJECT_MAX",
                                         "SOURCE_KINDS",
                                         "SOURCE_TITLE_MAX",
                                         "TITLE_MAX",
                                         "DuplicateDraftError",
                                         "Handover",
                                         "cleaned_text",
                                         "content_hash",
                                         "creates_task",
                                         "draft_assign_ready",
                                         "draft_confirm",
                                         "draft_create",
                                         "draft_discard",
                                         "draft_meta_update",
                                         "draft_node_drop",
                                         "draft_node_merge",
                                         "draft_node_move",
                                         "draft_node_set_include",
                                         "draft_node_split",
                                         "draft_node_update",
                                         "draft_nodes_bulk_update",
                                         "draft_rebase_years",
                                         "draft_unit_resolve",
                                         "fill_defaults",
                                         "norm_title",
                                         "outside_units",
                                         "plan",
                                         "rebase_offer",
                                         "title_from_text",
                                         "topic_map_seed",
                                         "topic_mapping_create",
                                         "topic_mapping_delete",
                                         "topic_mapping_update",
                                         "walk",
]
